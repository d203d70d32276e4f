#include "gateway/tls/ca_cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/diag.hpp"
#include "gateway/tls/certificate_authority.hpp"
#include "gateway/tls/forge.hpp"
#include "gateway/tls/keys.hpp"

namespace tlsgate::tls {
namespace {

constexpr const char* default_state_dir = "/var/lib/tlsgate";

struct InitOptions {
  std::string state_dir = default_state_dir;
  std::string key_type = "ec";
  std::string common_name = "tlsgate CA";
  bool force = false;
};

struct ExportOptions {
  std::string state_dir = default_state_dir;
  std::string cert;
  std::string format = "pem";
};

[[noreturn]] void fail(const std::string& message) {
  diag::error("%s", message.c_str());
  throw CLI::RuntimeError(1);
}

std::string_view describe(KeyType type) {
  switch (type) {
    case KeyType::ec_p256: return "ECDSA P-256";
    case KeyType::rsa2048: return "RSA 2048";
    case KeyType::rsa3072: return "RSA 3072";
  }
  return "unknown";
}

void run_init(const InitOptions& options) {
  const KeyType type = *parse_key_type(options.key_type);  // CLI::IsMember checked the spelling
  const std::string cert_path = CertificateAuthority::cert_path_in(options.state_dir);
  const std::string key_path = CertificateAuthority::key_path_in(options.state_dir);
  try {
    // Refuse before the (slow, for RSA) key generation; save() checks again.
    for (const auto* path : {&cert_path, &key_path}) {
      if (!options.force && ::access(path->c_str(), F_OK) == 0) {
        fail("'" + *path + "' already exists; use --force to replace the CA (clients that trust the old "
             "certificate must then be given the new one)");
      }
    }
    std::error_code ec;
    if (std::filesystem::create_directories(options.state_dir, ec)) {
      std::filesystem::permissions(options.state_dir, std::filesystem::perms::owner_all, ec);
    }
    if (ec) fail("cannot create state directory '" + options.state_dir + "': " + ec.message());
    const CertificateAuthority ca = CertificateAuthority::create(type, options.common_name);
    ca.save(cert_path, key_path, options.force);
    std::printf(
        "Created a CA (%.*s, CN \"%s\"):\n  certificate: %s\n  key:         %s (mode 0600)\n  SHA-256:     %s\n"
        "Install the certificate on the clients: tlsgate ca export --state-dir %s > tlsgate-ca.crt\n",
        static_cast<int>(describe(type).size()), describe(type).data(), options.common_name.c_str(),
        cert_path.c_str(), key_path.c_str(), sha256_fingerprint(ca.certificate()).c_str(),
        options.state_dir.c_str());
  } catch (const CLI::RuntimeError&) {
    throw;
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

void run_export(const ExportOptions& options) {
  const std::string path = options.cert.empty() ? CertificateAuthority::cert_path_in(options.state_dir) : options.cert;
  if (options.format == "der" && isatty(STDOUT_FILENO) == 1) {
    fail("refusing to write binary DER to a terminal; redirect standard output to a file");
  }
  std::string out;
  try {
    const X509Ptr cert = read_pem_certificate(path);
    out = options.format == "der" ? to_der(cert.get()) : to_pem(cert.get());
  } catch (const std::exception& e) {
    fail(std::string(e.what()) + (options.cert.empty() ? " (run `tlsgate ca init` first?)" : ""));
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    fail("cannot write the certificate to standard output");
  }
}

}  // namespace

void add_ca_commands(CLI::App& app) {
  auto* ca = app.add_subcommand("ca", "Manage the gateway CA that signs the forged certificates");
  ca->require_subcommand(1);

  auto init_options = std::make_shared<InitOptions>();
  auto* init = ca->add_subcommand(
      "init", "Create the gateway CA (STATE_DIR/ca.crt, and STATE_DIR/ca.key with mode 0600)");
  init->add_option("--state-dir", init_options->state_dir, "Directory for ca.crt and ca.key (created 0700)")
      ->capture_default_str();
  init->add_option("--key-type", init_options->key_type, "CA key: ec (ECDSA P-256), rsa2048 (= rsa) or rsa3072")
      ->check(CLI::IsMember({"ec", "rsa", "rsa2048", "rsa3072"}))
      ->capture_default_str();
  init->add_option("--common-name", init_options->common_name, "Subject CN of the CA certificate")
      ->capture_default_str();
  init->add_flag("--force", init_options->force,
                 "Replace an existing CA (clients must then trust the new certificate)");
  init->footer(
      "Without --force an existing ca.crt or ca.key is never touched. `tlsgate run` creates the\n"
      "CA itself on first start; an operator-supplied CA is set with ca_cert/ca_key in the config.\n"
      "Exit status: 0 created, 1 refused or failed.");
  init->callback([init_options] { run_init(*init_options); });

  auto export_options = std::make_shared<ExportOptions>();
  auto* exp = ca->add_subcommand("export", "Print the CA certificate, to install on the clients");
  auto* state_dir = exp->add_option("--state-dir", export_options->state_dir, "Directory holding ca.crt")
                        ->capture_default_str();
  exp->add_option("--cert", export_options->cert, "Export this PEM certificate instead (e.g. an operator CA)")
      ->excludes(state_dir);
  exp->add_option("--format", export_options->format, "pem (text) or der (binary; stdout must not be a terminal)")
      ->check(CLI::IsMember({"pem", "der"}))
      ->capture_default_str();
  exp->footer("Example: tlsgate ca export --format der > tlsgate-ca.cer\nExit status: 0 printed, 1 failed.");
  exp->callback([export_options] { run_export(*export_options); });
}

}  // namespace tlsgate::tls
