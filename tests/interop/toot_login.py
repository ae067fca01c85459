"""Logs `toot` (PyPI `toot`) in to a Burrow server the way a person does:
toot prints the authorize link, the person opens it, types the password,
approves and pastes the code back. Needs `pip install toot pexpect`.

    python3 toot_login.py http://127.0.0.1:8080 'the owner password'
    toot post 'hello'; toot timelines home
"""
import pexpect, re, sys, urllib.request, urllib.parse, html
base, password = sys.argv[1], sys.argv[2]
child = pexpect.spawn('toot', ['login', '-i', base], encoding='utf-8', timeout=30)
child.logfile_read = sys.stdout
i = child.expect([r'(http\S+oauth/authorize\S+)', pexpect.EOF])
url = child.match.group(1)
child.expect(r'\[Y/n\]'); child.sendline('n')
page = urllib.request.urlopen(url).read().decode()
form = dict((html.unescape(m.group(1)), html.unescape(m.group(2))) for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
action = re.search(r'<form[^>]*action="([^"]+)"', page).group(1)
form['password'] = password
form.setdefault('approve', '1')
req = urllib.request.Request(urllib.parse.urljoin(url, html.unescape(action)), data=urllib.parse.urlencode(form).encode())
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
resp = urllib.request.build_opener(NoRedirect).open(req)
body = resp.read().decode()
code = re.search(r'<code[^>]*>([^<]+)</code>', body) or re.search(r'value="([A-Za-z0-9_-]{20,})"', body)
code = code.group(1).strip()
print('\n[driver] code', code[:6] + '...')
child.expect('ode')
child.sendline(code)
child.expect(pexpect.EOF)
