#include "gateway/portal/page.hpp"

#include <cctype>

#include "gateway/markup_escape.hpp"
#include "gateway/portal/qr_svg.hpp"

namespace tlsgate::portal {
namespace {

bool plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return false;
  return true;
}

}  // namespace

std::string page_url(std::string_view host_header, const std::string& fallback_host) {
  return "http://" + (plain_host(host_header) ? std::string(host_header) : fallback_host) + "/";
}

std::string render_page(const CaFiles& ca, const std::string& url) {
  const std::string name = markup_escape(ca.common_name.empty() ? "tlsgate CA" : ca.common_name);
  const std::string link_pem = std::string("<a href=\"") + pem_path + "\" download>tlsgate-ca.pem</a>";
  const std::string link_der = std::string("<a href=\"") + der_path + "\" download>tlsgate-ca.cer</a>";
  const std::string link_apple = std::string("<a href=\"") + mobileconfig_path + "\">tlsgate-ca.mobileconfig</a>";
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += std::string("<title>") + page_title + "</title>\n";
  html += "<style>body{font-family:sans-serif;max-width:46em;margin:1em auto;padding:0 1em;line-height:1.4}"
          "code{word-break:break-all}h2{margin-top:1.4em}.qr{float:right;margin-left:1em}</style>\n";
  html += "</head>\n<body>\n";
  html += "<div class=\"qr\">" + qr_svg(url) + "<br><small>" + markup_escape(url) + "</small></div>\n";
  html += std::string("<h1>") + page_title + "</h1>\n";
  html += "<p>This network inspects encrypted (HTTPS) traffic. Its gateway presents certificates signed by <b>" +
          name + "</b>. Install that certificate as a trusted authority once; until then secure sites show "
          "certificate errors or are passed through uninspected.</p>\n";
  html += "<p>Before trusting it, compare its SHA-256 fingerprint with the one your administrator gave you:<br><code "
          "id=\"sha256\">" + ca.sha256 + "</code></p>\n";
  html += "<ul>\n<li>" + link_pem + " (PEM: Linux, Android, Firefox, Chromium)</li>\n<li>" + link_der +
          " (DER: Windows, Android)</li>\n<li>" + link_apple + " (profile: iOS, iPadOS, macOS)</li>\n</ul>\n";
  html += "<h2>Windows</h2><p>Open " + link_der +
          ", <i>Install Certificate</i>, <i>Local Machine</i>, <i>Place all certificates in the following store</i>: "
          "<i>Trusted Root Certification Authorities</i>. Edge and Chrome use this store; Firefox needs its own step "
          "(below) unless <code>security.enterprise_roots.enabled</code> is on.</p>\n";
  html += "<h2>macOS</h2><p>Open " + link_apple +
          ", then <i>System Settings &gt; Privacy &amp; Security &gt; Profiles</i>: install it. Then in <i>Keychain "
          "Access</i>, open the certificate in the System keychain and set <i>When using this certificate</i> to "
          "<i>Always Trust</i>.</p>\n";
  html += "<h2>iOS and iPadOS</h2><p>Open " + link_apple +
          " in Safari and allow the download. <i>Settings &gt; General &gt; VPN &amp; Device Management</i>: install "
          "the profile. Then <i>Settings &gt; General &gt; About &gt; Certificate Trust Settings</i>: turn on full "
          "trust for " + name + ".</p>\n";
  html += "<h2>Android</h2><p>Download " + link_der +
          ". <i>Settings &gt; Security &gt; Encryption &amp; credentials &gt; Install a certificate &gt; CA "
          "certificate</i> and pick the file. Apps trust user CAs only if they opt in; browsers do.</p>\n";
  html += "<h2>Linux (Debian, Ubuntu)</h2><p>Download " + link_pem +
          ", then <code>sudo cp tlsgate-ca.pem /usr/local/share/ca-certificates/tlsgate-ca.crt &amp;&amp; sudo "
          "update-ca-certificates</code>. Fedora: copy it to <code>/etc/pki/ca-trust/source/anchors/</code> and run "
          "<code>sudo update-ca-trust</code>.</p>\n";
  html += "<h2>Firefox (any OS)</h2><p><i>Settings &gt; Privacy &amp; Security &gt; Certificates &gt; View "
          "Certificates &gt; Authorities &gt; Import</i>, pick " + link_pem +
          " and tick <i>Trust this CA to identify websites</i>.</p>\n";
  html += "<h2>Chromium and Chrome on Linux</h2><p>They read the NSS database: <code>certutil -d "
          "sql:$HOME/.pki/nssdb -A -t C,, -n tlsgate -i tlsgate-ca.pem</code> (package libnss3-tools), or "
          "<i>Settings &gt; Privacy and security &gt; Security &gt; Manage certificates &gt; Authorities &gt; "
          "Import</i>.</p>\n";
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace tlsgate::portal
