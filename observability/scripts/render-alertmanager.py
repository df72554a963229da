#!/usr/bin/env python3
"""Renders observability/alertmanager/alertmanager.yml: fills its @NAME@ placeholders from the
environment and prints the configuration. Secrets stay out of it (the config names files for
them: smtp-password, webhook-url, heartbeat-url beside it). Used by install-monitoring.sh (the
VM), observability/scripts/check.sh (amtool check-config) and scripts/rehearsal/alerting.sh.

  SMTP_HOST=smtp.example SMTP_PORT=587 SMTP_FROM='TWIST <alerts@example>' SMTP_USERNAME=u \\
  ALERT_EMAIL_TO=oncall@example python3 observability/scripts/render-alertmanager.py > alertmanager.yml

Without SMTP_HOST (the services' SMTP is optional) or ALERT_EMAIL_TO there is no e-mail: the
e-mail receiver entries are left out and a warning goes to stderr; pages still reach the webhook.

ALERT_CHAT_KIND says what the webhook URL is: "webhook" (default: Alertmanager's generic JSON,
for a relay or a tool that takes it), "slack" (a Slack incoming webhook: slack_configs) or
"discord" (a Discord channel webhook: discord_configs). The heartbeat stays a generic webhook.
"""
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "alertmanager" / "alertmanager.yml"


def main() -> int:
    # the template's own header comment (it names the placeholders) is not copied
    lines = TEMPLATE.read_text().splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    text = "# rendered from observability/alertmanager/alertmanager.yml by render-alertmanager.py\n" + "".join(lines)
    host, port = os.environ.get("SMTP_HOST", "").strip(), os.environ.get("SMTP_PORT", "587").strip() or "587"
    to = os.environ.get("ALERT_EMAIL_TO", "").strip()
    values = {
        "SMTP_SMARTHOST": f"{host}:{port}" if host else "",
        "SMTP_FROM": os.environ.get("SMTP_FROM", "").strip(),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", "").strip(),
        "ALERT_EMAIL_TO": to,
    }
    if not (host and to and values["SMTP_FROM"]):
        print("render-alertmanager: no e-mail (SMTP_HOST, SMTP_FROM or ALERT_EMAIL_TO empty): "
              "pages go to the webhook only", file=sys.stderr)
        # drop the e-mail settings: the global smtp_* lines and every email_configs block
        text = re.sub(r"^  smtp_[a-z_]+:.*\n", "", text, flags=re.M)
        text = re.sub(r"^    email_configs:\n(?:^      .*\n)+", "", text, flags=re.M)
    for key, value in values.items():
        if any(c in value for c in '"\\\n'):
            print(f"render-alertmanager: {key} holds a quote, backslash or newline", file=sys.stderr)
            return 2
        text = text.replace(f"@{key}@", value)
    kind = os.environ.get("ALERT_CHAT_KIND", "webhook").strip() or "webhook"
    generic = ("    webhook_configs:\n      - url_file: /etc/alertmanager/secrets/webhook-url\n"
               "        send_resolved: true\n")
    native = {
        "slack": "    slack_configs:\n      - api_url_file: /etc/alertmanager/secrets/webhook-url\n        send_resolved: true\n",
        "discord": "    discord_configs:\n      - webhook_url_file: /etc/alertmanager/secrets/webhook-url\n        send_resolved: true\n",
    }
    if kind in native:
        text = text.replace(generic, native[kind])
    elif kind != "webhook":
        print(f"render-alertmanager: ALERT_CHAT_KIND {kind!r} is not webhook, slack or discord", file=sys.stderr)
        return 2
    # where the secret files are (the Secret's mount in monitoring.yaml; a directory of files
    # for Alertmanager run as a process, as in the rehearsal)
    secrets_dir = os.environ.get("ALERTMANAGER_SECRETS_DIR", "/etc/alertmanager/secrets").rstrip("/")
    text = text.replace("/etc/alertmanager/secrets/", secrets_dir + "/")
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        print(f"render-alertmanager: unfilled placeholders {left}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
