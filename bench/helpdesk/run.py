# ruff: noqa: E402, SIM115  (a standalone script: Django is set up before its imports)
"""django-helpdesk's email ingest, timed on the .eml files bench/email_ingest.py exports.

Runs in a scratch venv outside the repo (django-helpdesk is not a Parley dependency):

    python3 -m venv /tmp/helpdesk-venv && /tmp/helpdesk-venv/bin/pip install django-helpdesk==2.6.1
    .venv/bin/python bench/email_ingest.py --export /tmp/parley-bench-eml
    /tmp/helpdesk-venv/bin/python bench/helpdesk/run.py /tmp/parley-bench-eml

It starts its own Dovecot, APPENDs the files, and times `helpdesk.email.process_queue` over
IMAP (fetch, parse, store: django-helpdesk makes a ticket and follow-up per email and
deletes it from the server; it has no "replies only" mode).
"""

import glob
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

tmp = tempfile.mkdtemp(prefix="hd-bench-")
os.environ["HD_DB"] = f"{tmp}/hd.sqlite3"
os.environ["HD_MEDIA"] = f"{tmp}/media"
os.environ["DJANGO_SETTINGS_MODULE"] = "hd_settings"
sys.path.insert(0, os.path.dirname(__file__))
import django

django.setup()
import imaplib

from django.core.management import call_command


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


d = tempfile.mkdtemp(prefix="hd-dovecot-")
os.chmod(d, 0o755)
port = free_port()
os.mkdir(f"{d}/mail")
shutil.chown(f"{d}/mail", "dovecot", "dovecot")
open(f"{d}/users", "w").write("hd@example.com:{PLAIN}pw\n")
open(f"{d}/dovecot.conf", "w").write(f"""base_dir = {d}/run
state_dir = {d}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
log_path = {d}/dovecot.log
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
""")
subprocess.run(["dovecot", "-c", f"{d}/dovecot.conf"], check=True)
time.sleep(1)
try:
    call_command("migrate", verbosity=0)
    from helpdesk.email import process_queue
    from helpdesk.models import FollowUp, Queue, Ticket

    files = sorted(glob.glob(sys.argv[1] + "/*.eml"))
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login("hd@example.com", "pw")
    for f in files:
        imap.append("INBOX", None, None, open(f, "rb").read())
    imap.logout()
    q = Queue.objects.create(
        title="Bench",
        slug="bench",
        email_box_type="imap",
        email_box_host="127.0.0.1",
        email_box_port=port,
        email_box_ssl=False,
        email_box_user="hd@example.com",
        email_box_pass="pw",
        email_box_imap_folder="INBOX",
        allow_email_submission=True,
        email_address="hd@example.com",
    )
    log = logging.getLogger("hd")
    log.setLevel(logging.WARNING)
    t0 = time.perf_counter()
    process_queue(q, log)
    took = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "messages": len(files),
                "seconds": round(took, 2),
                "messages_per_second": round(len(files) / took, 1),
                "tickets": Ticket.objects.count(),
                "followups": FollowUp.objects.count(),
            },
            indent=2,
        )
    )
finally:
    pid = int(open(f"{d}/run/master.pid").read())
    os.kill(pid, 15)
