#!/usr/bin/python3
"""The lab's test PKI, made fresh at every `lab.sh up` (never committed).

A "public" root CA that the lab's clients trust for direct traffic, good server
certificates for www/api.example.test, and deliberately bad ones: expired,
self-signed, and one whose names do not match the host it is served for.

Usage: lab_pki.py OUTPUT_DIR
"""
import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlsgate lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def write(out, stem, cert, key):
    with open(os.path.join(out, stem + ".crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(os.path.join(out, stem + ".key"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(name(common_name)).issuer_name(name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY).not_valid_after(NOW + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_leaf(common_name, dns, ips, issuer, issuer_key, not_before=None, not_after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (x509.CertificateBuilder()
               .subject_name(name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 365 * DAY)
               .add_extension(x509.SubjectAlternativeName(sans), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    if issuer is None:  # self-signed
        cert = builder.issuer_name(name(common_name)).sign(key, hashes.SHA256())
    else:
        cert = builder.issuer_name(issuer.subject).sign(issuer_key, hashes.SHA256())
    return cert, key


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    ca, ca_key = make_ca("tlsgate lab Public Root CA")
    write(out, "public-ca", ca, ca_key)
    write(out, "www", *make_leaf("www.example.test", ["www.example.test", "example.test"],
                                 ["10.10.2.2", "fd10:2::2"], ca, ca_key))
    write(out, "api", *make_leaf("api.example.test", ["api.example.test"], [], ca, ca_key))
    write(out, "expired", *make_leaf("expired.example.test", ["expired.example.test"], [], ca, ca_key,
                                     NOW - 400 * DAY, NOW - 35 * DAY))
    write(out, "self-signed", *make_leaf("self-signed.example.test", ["self-signed.example.test"], [], None, None))
    write(out, "wrong-name", *make_leaf("other.example.test", ["other.example.test"], [], ca, ca_key))


if __name__ == "__main__":
    main()
