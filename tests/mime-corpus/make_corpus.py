#!/usr/bin/env python3
"""Writes the MIME test corpus (tests/mime-corpus/*.eml).

The messages were written for popstore's differential test against Dovecot;
this script is how they were produced, kept so the corpus can be reviewed
and extended. Existing files are append-only: add new cases with new names.
Lines are joined with CRLF unless a case says otherwise (bare-LF cases).
"""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def add(name, text="", eol="\r\n", raw=None):
    if raw is None:
        data = eol.join(text.split("\n")).encode("utf-8")
    else:
        data = raw
    cases.append((name, data))


def msg(headers, body, **kw):
    h = headers.strip("\n")
    return h + "\n\n" + body


STD = "From: Alice Example <alice@example.org>\nTo: Bob <bob@example.net>\nSubject: test\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <m1@example.org>"

# --- plain messages -------------------------------------------------------
add("plain-simple", msg(STD, "Hello Bob.\n\nRegards,\nAlice\n"))
add("plain-no-trailing-newline", msg(STD, "no newline at end"))
add("plain-mime-version", msg(STD + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8", "caf\u00e9\n"))
add("plain-long-lines", msg(STD, ("x" * 998 + "\n") * 3))
add("plain-dot-lines", msg(STD, ".starts with dot\n..two dots\n.\nend\n"))
add("plain-many-lines", msg(STD, "".join("line %d\n" % i for i in range(500))))
add("plain-blank-lines-body", msg(STD, "\n\n\n"))
add("plain-trailing-spaces", msg(STD, "spaces   \n\ttab\t\n"))
add("plain-charset-iso", msg(STD + "\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit", "", ) , raw=None)
cases[-1] = ("plain-charset-iso", (("\r\n".join(STD.split("\n")) + "\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf").encode() + b"\xe9\r\n"))
add("plain-format-flowed", msg(STD + "\nContent-Type: text/plain; charset=us-ascii; format=flowed; delsp=yes", "flowed \ntext\n"))
add("plain-text-html", msg(STD + "\nContent-Type: text/html; charset=utf-8", "<p>hi</p>\n"))
add("plain-uppercase-type", msg(STD + "\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII", "upper\n"))
add("plain-type-no-subtype", msg(STD + "\nContent-Type: text", "no subtype\n"))
add("plain-type-garbage", msg(STD + "\nContent-Type: garbage", "garbage type\n"))
add("plain-type-empty", msg(STD + "\nContent-Type:", "empty type\n"))
add("plain-type-application", msg(STD + "\nContent-Type: application/octet-stream", "binary-ish\n"))
add("plain-type-comment", msg(STD + "\nContent-Type: text/plain (a comment); charset=\"us-ascii\" (another)", "comments\n"))
add("plain-type-spaces", msg(STD + "\nContent-Type: text / plain ; charset = utf-8", "spaces\n"))
add("plain-type-folded", msg(STD + "\nContent-Type: text/plain;\n charset=utf-8;\n\tformat=flowed", "folded\n"))
add("plain-duplicate-content-type", msg(STD + "\nContent-Type: text/html\nContent-Type: text/plain", "dup ct\n"))
add("plain-cte-upper", msg(STD + "\nContent-Transfer-Encoding: QUOTED-PRINTABLE", "a=3Db\n"))
add("plain-cte-garbage", msg(STD + "\nContent-Transfer-Encoding: 7bit; junk", "junk cte\n"))
add("plain-cte-unknown", msg(STD + "\nContent-Transfer-Encoding: x-uuencode", "begin 644 x\n`\nend\n"))
add("plain-cte-8bit", msg(STD + "\nContent-Transfer-Encoding: 8bit", "eight\n"))
add("plain-content-id-desc", msg(STD + "\nContent-ID: <part1@example.org>\nContent-Description: A \"quoted\" description", "id\n"))
add("plain-content-md5", msg(STD + "\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==", "md5\n"))
add("plain-content-language", msg(STD + "\nContent-Language: en, de-CH", "lang\n"))
add("plain-content-location", msg(STD + "\nContent-Location: http://example.org/x.txt", "loc\n"))
add("plain-disposition-inline", msg(STD + "\nContent-Disposition: inline", "inline\n"))
add("plain-disposition-params", msg(STD + "\nContent-Disposition: attachment; filename=\"a b.txt\"; size=5", "hello\n"))
add("plain-description-8bit", msg(STD + "\nContent-Description: caf\u00e9", "8bit desc\n"))
add("plain-description-folded", msg(STD + "\nContent-Description: one\n two", "folded desc\n"))

# --- headers: envelope fields -------------------------------------------
def env(extra, body="body\n"):
    return msg("Date: Mon, 1 Jan 2024 00:00:00 +0000\n" + extra, body)

add("env-no-headers-at-all", "\nbody only\n")
add("env-only-from", env("From: a@example.org"))
add("env-missing-date", "From: a@example.org\nSubject: no date\n\nx\n")
add("env-sender-reply-to", env("From: a@example.org\nSender: s@example.org\nReply-To: r@example.org"))
add("env-empty-sender", env("From: a@example.org\nSender:\nReply-To:"))
add("env-all-fields", env("From: A <a@x.org>\nSender: S <s@x.org>\nReply-To: R <r@x.org>\nTo: T <t@x.org>\nCc: C <c@x.org>\nBcc: B <b@x.org>\nSubject: all\nIn-Reply-To: <p@x.org>\nMessage-ID: <m@x.org>"))
add("env-subject-empty", env("From: a@x.org\nSubject:"))
add("env-subject-spaces", env("From: a@x.org\nSubject:    lots   of    spaces   "))
add("env-subject-tab", env("From: a@x.org\nSubject: tab\there"))
add("env-subject-folded", env("From: a@x.org\nSubject: this is\n a folded\n\tsubject"))
add("env-subject-folded-empty-first", env("From: a@x.org\nSubject:\n starts on next line"))
add("env-subject-quotes", env("From: a@x.org\nSubject: say \"hi\" and \\back\\slash"))
add("env-subject-encoded", env("From: a@x.org\nSubject: =?UTF-8?B?SMOpbGxv?= =?ISO-8859-1?Q?caf=E9?="))
add("env-subject-8bit", env("From: a@x.org\nSubject: caf\u00e9 cr\u00e8me"))
add("env-subject-only-spaces", env("From: a@x.org\nSubject:     "))
add("env-subject-parens", env("From: a@x.org\nSubject: (not a comment) [tag] {braces}"))
add("env-subject-long", env("From: a@x.org\nSubject: " + " ".join(["word%d" % i for i in range(60)])))
add("env-duplicate-subject", env("From: a@x.org\nSubject: first\nSubject: second"))
add("env-duplicate-from", env("From: a@x.org\nFrom: b@y.org"))
add("env-duplicate-to", env("From: a@x.org\nTo: t1@x.org\nTo: t2@x.org, t3@x.org"))
add("env-duplicate-date", "Date: Mon, 1 Jan 2024 00:00:00 +0000\nDate: Tue, 2 Jan 2024 00:00:00 +0000\nFrom: a@x.org\n\nx\n")
add("env-duplicate-message-id", env("From: a@x.org\nMessage-ID: <one@x>\nMessage-ID: <two@x>"))
add("env-message-id-spaces", env("From: a@x.org\nMessage-ID:   <spaced@x.org>   "))
add("env-message-id-folded", env("From: a@x.org\nMessage-ID:\n <folded@x.org>"))
add("env-in-reply-to-multi", env("From: a@x.org\nIn-Reply-To: <a@x> <b@y>\n (comment)"))
add("env-date-folded", "Date: Mon, 1 Jan 2024\n 00:00:00 +0000\nFrom: a@x.org\n\nx\n")
add("env-header-case", "FROM: a@x.org\nsubject: lower\nTO: b@y.org\nDATE: whenever\nmessage-id: <lc@x>\n\nx\n")
add("env-header-space-before-colon", "From : a@x.org\nSubject  : spaced colon\n\nx\n")
add("env-header-no-colon", "From: a@x.org\nThis line has no colon\nSubject: after junk\n\nx\n")
add("env-header-8bit", "From: J\u00f6rg <joerg@x.org>\nSubject: gr\u00fc\u00dfe\nX-Eight: \u00e4\u00f6\u00fc\n\nx\n")
add("env-continuation-first-line", " leading continuation\nFrom: a@x.org\nSubject: s\n\nx\n")

# --- addresses ------------------------------------------------------------
addrs = [
    ("addr-plain", "a@example.org"),
    ("addr-name-angle", "Alice <a@example.org>"),
    ("addr-quoted-name", "\"Alice, Q.\" <a@example.org>"),
    ("addr-quoted-escapes", "\"A \\\"quoted\\\" \\\\ name\" <a@example.org>"),
    ("addr-comment-name", "a@example.org (Alice Comment)"),
    ("addr-nested-comment", "a@example.org (Alice (nested) Comment)"),
    ("addr-two-comments", "(first) a@example.org (second)"),
    ("addr-list", "a@x.org, B <b@y.org>, \"C\" <c@z.org>"),
    ("addr-group", "Friends: a@x.org, B <b@y.org>;"),
    ("addr-group-empty", "undisclosed-recipients:;"),
    ("addr-group-and-more", "a@x.org, G: b@y.org;, c@z.org"),
    ("addr-group-quoted-name", "\"My Group\": a@x.org;"),
    ("addr-group-unterminated", "Team: a@x.org, b@y.org"),
    ("addr-group-nested-junk", "G1: a@x.org; G2: ;"),
    ("addr-route", "<@r1.example,@r2.example:a@example.org>"),
    ("addr-route-named", "Alice <@relay.example:a@example.org>"),
    ("addr-bad-route", "<@relay.example a@example.org>"),
    ("addr-no-domain", "alice"),
    ("addr-no-domain-angle", "Alice <alice>"),
    ("addr-at-no-domain", "alice@"),
    ("addr-empty-angle", "<>"),
    ("addr-name-empty-angle", "Nobody <>"),
    ("addr-quoted-local", "\"a b\"@example.org"),
    ("addr-quoted-local-alone", "\"just quoted\""),
    ("addr-domain-literal", "a@[192.0.2.1]"),
    ("addr-encoded-name", "=?UTF-8?Q?J=C3=B6rg?= <j@example.org>"),
    ("addr-8bit-name", "J\u00f6rg M\u00fcller <j@example.org>"),
    ("addr-words-no-address", "just some words"),
    ("addr-trailing-comma", "a@x.org,"),
    ("addr-double-comma", "a@x.org,, b@y.org"),
    ("addr-leading-comma", ", a@x.org"),
    ("addr-unclosed-angle", "Alice <a@example.org"),
    ("addr-unclosed-quote", "\"Alice <a@example.org>"),
    ("addr-unclosed-comment", "a@example.org (Alice"),
    ("addr-dots-in-name", "Alice Q. Public <a@example.org>"),
    ("addr-dot-local", "first.last@example.org"),
    ("addr-spaces-around-dots", "first . last @ example . org"),
    ("addr-folded", "Alice\n <a@example.org>,\n\tBob <b@example.org>"),
    ("addr-semicolon-junk", "a@x.org; b@y.org"),
    ("addr-angle-only-local-domain-space", "< a@example.org >"),
    ("addr-name-with-tab", "Alice\tSmith <a@example.org>"),
    ("addr-name-multiple-spaces", "Alice    Smith <a@example.org>"),
    ("addr-comment-in-angle", "Alice <a(c)@example.org>"),
    ("addr-special-local", "a+tag@example.org"),
    ("addr-mailbox-percent", "a%b@example.org"),
]
for name, value in addrs:
    add(name, msg("From: %s\nTo: %s\nCc: %s\nSubject: %s" % (value, value, value, name), "x\n"))

# --- multipart ------------------------------------------------------------
def mp(subtype, boundary, parts, preamble="", epilogue="", headers=STD, extra_ct=""):
    lines = headers + "\nMIME-Version: 1.0\nContent-Type: multipart/%s; boundary=\"%s\"%s\n\n" % (subtype, boundary, extra_ct)
    lines += preamble
    for p in parts:
        lines += "--%s\n%s\n" % (boundary, p)
    lines += "--%s--\n%s" % (boundary, epilogue)
    return lines


TP = "Content-Type: text/plain; charset=us-ascii\n\nplain part\n"
TH = "Content-Type: text/html; charset=utf-8\n\n<p>html part</p>\n"
add("mp-alternative", mp("alternative", "alt1", [TP, TH]))
add("mp-mixed", mp("mixed", "mix1", [TP, "Content-Type: application/pdf; name=\"x.pdf\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"x.pdf\"\n\n" + base64.encodebytes(b"%PDF-1.4 fake pdf " * 20).decode()]))
add("mp-preamble-epilogue", mp("mixed", "pe", [TP], preamble="This is the preamble.\n", epilogue="This is the epilogue.\n"))
add("mp-empty-preamble-line", mp("mixed", "ep", [TP], preamble="\n"))
add("mp-no-part-headers", mp("mixed", "nh", ["\nno headers in this part\n", "\nsecond\n"]))
add("mp-part-no-blank-line", mp("mixed", "nb", ["Content-Type: text/plain", TP]))
add("mp-empty-part-body", mp("mixed", "eb", ["Content-Type: text/plain\n", TP]))
add("mp-completely-empty-part", mp("mixed", "ce", ["", TP]))
add("mp-related", mp("related", "rel", [TH, "Content-Type: image/png\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"\x89PNG\r\n\x1a\nfakepng" * 10).decode()], extra_ct="; type=\"text/html\""))
add("mp-unquoted-boundary", mp("mixed", "simple", [TP]).replace('boundary="simple"', "boundary=simple"))
add("mp-boundary-special-chars", mp("mixed", "=_Part_0_123.456'()+,-./:?", [TP, TH]))
add("mp-boundary-70", mp("mixed", "b" * 70, [TP]))
add("mp-boundary-long", mp("mixed", "L" * 90, [TP, TH]))
add("mp-single-part", mp("mixed", "one", [TP]))
add("mp-many-parts", mp("mixed", "many", ["Content-Type: text/plain\n\npart %d\n" % i for i in range(40)]))
add("mp-uppercase", mp("MIXED", "UP", [TP]).replace("multipart/MIXED", "MULTIPART/MIXED"))
add("mp-params-extension", mp("mixed", "ext", [TP], extra_ct="; foo=bar") .replace("MIME-Version: 1.0\n", "MIME-Version: 1.0\nContent-Disposition: inline\nContent-Language: fr\nContent-Location: here\n"))
add("mp-digest", mp("digest", "dig", ["\nFrom: d1@x.org\nSubject: digest one\n\nbody one\n", "\nFrom: d2@x.org\nSubject: digest two\n\nbody two\n", "Content-Type: text/plain\n\nexplicit text in digest\n"]))
add("mp-signed", mp("signed", "sig", [TP, "Content-Type: application/pgp-signature; name=\"signature.asc\"\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"], extra_ct="; micalg=pgp-sha256; protocol=\"application/pgp-signature\""))
add("mp-crlf-lf-part", mp("mixed", "x", [TP]), eol="\n")

# nested
inner_alt = "Content-Type: multipart/alternative; boundary=\"inner\"\n\n--inner\n" + TP + "--inner\n" + TH + "--inner--\n"
add("nest-mixed-alt", mp("mixed", "outer", [inner_alt, "Content-Type: text/x-note\n\nnote\n"]))
deep3 = "Content-Type: multipart/mixed; boundary=\"l2\"\n\n--l2\nContent-Type: multipart/alternative; boundary=\"l3\"\n\n--l3\n" + TP + "--l3\n" + TH + "--l3--\n--l2\nContent-Type: text/plain\n\nlevel two text\n--l2--\n"
add("nest-three-deep", mp("mixed", "l1", [deep3, TP]))
add("nest-same-boundary", mp("mixed", "same", ["Content-Type: multipart/mixed; boundary=\"same\"\n\n--same\n" + TP + "--same--\n", TP]))
add("nest-prefix-boundary", mp("mixed", "b", ["Content-Type: multipart/mixed; boundary=\"bb\"\n\n--bb\n" + TP + "--bb--\n", TP]))
add("nest-inner-unclosed", mp("mixed", "o", ["Content-Type: multipart/alternative; boundary=\"i\"\n\n--i\n" + TP, TH]))
add("nest-four-deep", mp("mixed", "d1", ["Content-Type: multipart/mixed; boundary=d2\n\n--d2\nContent-Type: multipart/mixed; boundary=d3\n\n--d3\nContent-Type: multipart/mixed; boundary=d4\n\n--d4\n" + TP + "--d4--\n--d3--\n--d2--\n"]))

# message/rfc822
EMB = "From: Inner <inner@x.org>\nTo: outer@y.org\nSubject: inner message\nDate: Tue, 2 Jan 2024 00:00:00 +0000\nMessage-ID: <inner@x.org>\n\ninner body\nline 2\n"
add("rfc822-in-mixed", mp("mixed", "r1", [TP, "Content-Type: message/rfc822\n\n" + EMB]))
add("rfc822-with-disposition", mp("mixed", "r2", [TP, "Content-Type: message/rfc822; name=\"fwd.eml\"\nContent-Disposition: attachment; filename=\"fwd.eml\"\nContent-Description: forwarded\n\n" + EMB]))
add("rfc822-multipart-inside", mp("mixed", "r3", [TP, "Content-Type: message/rfc822\n\nFrom: i@x.org\nSubject: inner mp\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"ib\"\n\n--ib\n" + TP + "--ib\n" + TH + "--ib--\n"]))
add("rfc822-top-level", msg(STD + "\nMIME-Version: 1.0\nContent-Type: message/rfc822", EMB))
add("rfc822-nested-twice", mp("mixed", "r4", ["Content-Type: message/rfc822\n\nFrom: l1@x.org\nSubject: level1\nContent-Type: message/rfc822\n\n" + EMB]))
add("rfc822-empty", mp("mixed", "r5", ["Content-Type: message/rfc822\n", TP]))
add("rfc822-headers-only", mp("mixed", "r6", ["Content-Type: message/rfc822\n\nFrom: x@y.org\nSubject: no body\n"]))
add("rfc822-uppercase", mp("mixed", "r7", ["Content-Type: MESSAGE/RFC822\n\n" + EMB]))
add("rfc822-outer-boundary-inside", mp("mixed", "r8", ["Content-Type: message/rfc822\n\nFrom: x@y.org\nSubject: cut\n\ninner text\n", TP]))
add("rfc822-inner-8bit", mp("mixed", "r9", ["Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nFrom: J\u00f6rg <j@x.org>\nSubject: gr\u00fc\u00df\n\nb\u00f6dy\n"]))

# encodings
payload = bytes(range(256)) * 4
add("enc-base64-attachment", mp("mixed", "b64", [TP, "Content-Type: application/octet-stream; name=data.bin\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=data.bin\n\n" + base64.encodebytes(payload).decode()]))
add("enc-base64-no-padding", mp("mixed", "b64n", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ\n"]))
add("enc-base64-spaces", mp("mixed", "b64s", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGVs bG8g\nd29y bGQh\n"]))
add("enc-base64-long-line", mp("mixed", "b64l", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + base64.b64encode(payload).decode() + "\n"]))
add("enc-base64-text", mp("mixed", "b64t", ["Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes("h\u00e9llo w\u00f6rld\n".encode() * 20).decode()]))
add("enc-base64-invalid", mp("mixed", "b64i", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nthis is *not* base64!\n"]))
add("enc-base64-uppercase-cte", mp("mixed", "b64u", ["Content-Type: image/gif\nContent-Transfer-Encoding: BASE64\n\nR0lGODlhAQABAAAAACw=\n"]))
add("enc-qp-attachment", mp("mixed", "qp", [TP, "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\nContent-Disposition: attachment; filename=\"qp.txt\"\n\n" + quopri.encodestring(("caf\u00e9 " * 30 + "\n").encode("latin-1") * 5).decode()]))
add("enc-qp-soft-breaks", mp("mixed", "qps", ["Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nlong line that =\ncontinues here=3D and =\nends\ntrailing spaces   \n"]))
add("enc-qp-invalid", mp("mixed", "qpi", ["Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nbad =ZZ escape and =4 and lone = sign\n=\n"]))
add("enc-qp-lowercase-hex", mp("mixed", "qpl", ["Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nlower =e9=3d hex\n"]))
add("enc-qp-top", msg(STD + "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable", "caf=C3=A9 =\nsoft\n"))
add("enc-base64-top", msg(STD + "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64", base64.encodebytes(b"top level base64 text\n").decode()))
add("enc-7bit-explicit", mp("mixed", "7b", ["Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nseven\n"]))
add("enc-binary", mp("mixed", "bin", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\nbinary-ish data\n"]))

# parameters
add("param-rfc2231-cont", mp("mixed", "p1", ["Content-Type: application/octet-stream;\n name*0=\"very long \";\n name*1=\"file name\";\n name*2=\".txt\"\nContent-Disposition: attachment;\n filename*0=\"very long \";\n filename*1=\"file name.txt\"\n\ndata\n"]))
add("param-rfc2231-encoded", mp("mixed", "p2", ["Content-Type: application/octet-stream; name*=UTF-8''caf%C3%A9.txt\nContent-Disposition: attachment; filename*=UTF-8''caf%C3%A9.txt\n\ndata\n"]))
add("param-rfc2231-mixed", mp("mixed", "p3", ["Content-Type: application/octet-stream; name*0*=UTF-8''caf%C3%A9; name*1=\" 100%.txt\"\n\ndata\n"]))
add("param-rfc2231-missing-index", mp("mixed", "p4", ["Content-Type: application/octet-stream; name*0=a; name*2=c\n\ndata\n"]))
add("param-rfc2231-unordered", mp("mixed", "p5", ["Content-Type: application/octet-stream; name*1=b; zz=1; name*0=a\n\ndata\n"]))
add("param-encoded-word-value", mp("mixed", "p6", ["Content-Type: application/octet-stream; name==?UTF-8?B?Y2Fmw6kudHh0?=\n\ndata\n"]))
add("param-quoted-escapes", mp("mixed", "p7", ["Content-Type: text/plain; charset=\"us-ascii\"; name=\"a \\\"b\\\" c\"\n\ndata\n"]))
add("param-no-value", mp("mixed", "p8", ["Content-Type: text/plain; charset=; format=flowed\n\ndata\n"]))
add("param-junk", mp("mixed", "p9", ["Content-Type: text/plain; junk; charset=utf-8; =x; y=\n\ndata\n"]))
add("param-uppercase-names", mp("mixed", "pa", ["Content-Type: text/plain; CHARSET=UTF-8; Format=Flowed\n\ndata\n"]))
add("param-8bit-value", mp("mixed", "pb", ["Content-Type: application/octet-stream; name=\"caf\u00e9.txt\"\n\ndata\n"]))
add("param-duplicate", mp("mixed", "pc", ["Content-Type: text/plain; charset=utf-8; charset=iso-8859-1\n\ndata\n"]))
add("param-semicolon-end", mp("mixed", "pd", ["Content-Type: text/plain; charset=utf-8;\n\ndata\n"]))
add("param-disposition-no-params", mp("mixed", "pe", ["Content-Type: text/plain\nContent-Disposition: attachment\n\ndata\n"]))
add("param-disposition-uppercase", mp("mixed", "pf", ["Content-Type: text/plain\nContent-Disposition: ATTACHMENT; FILENAME=\"UP.TXT\"\n\ndata\n"]))
add("param-language-multi", mp("mixed", "pg", ["Content-Type: text/plain\nContent-Language: en-US,\n fr-CA , de\n\ndata\n"]))

# broken boundaries
add("broken-missing-close", STD + "\nContent-Type: multipart/mixed; boundary=\"nc\"\n\n--nc\n" + TP + "--nc\n" + TH)
add("broken-wrong-boundary", STD + "\nContent-Type: multipart/mixed; boundary=\"right\"\n\n--wrong\n" + TP + "--wrong--\n")
add("broken-no-boundary-param", STD + "\nContent-Type: multipart/mixed\n\n--x\n" + TP + "--x--\n")
add("broken-empty-boundary", STD + "\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n" + TP + "----\n")
add("broken-no-parts", STD + "\nContent-Type: multipart/mixed; boundary=\"np\"\n\nno boundary lines at all\n")
add("broken-only-close", STD + "\nContent-Type: multipart/mixed; boundary=\"oc\"\n\npreamble\n--oc--\nepilogue\n")
add("broken-boundary-trailing-junk", STD + "\nContent-Type: multipart/mixed; boundary=\"tj\"\n\n--tj junk after\n" + TP + "--tjX\n" + TH + "--tj--junk\n")
add("broken-boundary-whitespace", STD + "\nContent-Type: multipart/mixed; boundary=\"ws\"\n\n--ws   \n" + TP + "--ws--  \n")
add("broken-boundary-no-newline-end", (STD + "\nContent-Type: multipart/mixed; boundary=\"nn\"\n\n--nn\n" + TP + "--nn--"))
add("broken-boundary-in-header", STD + "\nContent-Type: multipart/mixed; boundary=\"bh\"\n\n--bh\nContent-Type: text/plain\n--bh\n" + TP + "--bh--\n")
add("broken-text-after-close", STD + "\nContent-Type: multipart/mixed; boundary=\"tc\"\n\n--tc\n" + TP + "--tc--\n--tc\n" + TH + "--tc--\n")
add("broken-outer-closes-inner", mp("mixed", "oo", ["Content-Type: multipart/mixed; boundary=\"ii\"\n\n--ii\n" + TP + "\n--ii\n" + TP]) )
add("broken-multipart-no-body", STD + "\nContent-Type: multipart/mixed; boundary=\"nb\"\n")
add("broken-boundary-first-line", STD + "\nContent-Type: multipart/mixed; boundary=\"fl\"\n\n--fl\n\n--fl\n\n--fl--\n")
add("broken-rfc822-boundary-param", STD + "\nContent-Type: text/plain; boundary=\"tp\"\n\n--tp\nnot multipart\n--tp--\n")
add("broken-crlf-before-boundary", mp("mixed", "cr", ["Content-Type: text/plain\n\nbody with blank line before boundary\n\n"]))

# line endings and 8-bit
add("lf-plain", msg(STD, "bare LF\nmessage\n"), eol="\n")
add("lf-multipart", mp("alternative", "lfb", [TP, TH]), eol="\n")
add("lf-mixed-eol", raw=b"From: a@x.org\r\nSubject: mixed\nTo: b@y.org\r\n\nline1\r\nline2\nline3\r\n")
add("lf-rfc822", mp("mixed", "lfr", ["Content-Type: message/rfc822\n\n" + EMB]), eol="\n")
add("cr-bare", raw=b"From: a@x.org\r\nSubject: bare cr\r\n\r\nline with \r bare CR\r\nend\r\n")
add("eightbit-body", raw=("\r\n".join(STD.split("\n")) + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + "\u00fcber \u00e9t\u00e9 \u4e2d\u6587\r\n".encode())
add("eightbit-latin1-headers", raw=b"From: J\xf6rg <j@x.org>\r\nSubject: gr\xfc\xdfe\r\n\r\nx\r\n")
add("nul-in-body", raw=b"From: a@x.org\r\nSubject: nul\r\n\r\nbefore\x00after\r\n")

# empty / header only
add("empty-body", "From: a@x.org\nSubject: empty body\n\n")
add("header-only-no-blank", "From: a@x.org\nSubject: header only")
add("header-only-newline", "From: a@x.org\nSubject: header only with newline\n")
add("only-blank-line", "\n")
add("empty-body-multipart-header", "From: a@x.org\nContent-Type: multipart/mixed; boundary=z\n\n")

# dot-stuffing in parts
add("dots-in-parts", mp("mixed", "dd", ["Content-Type: text/plain\n\n.hidden\n..double\n"]))

# headers with many lines and long folding
add("long-header-folded", msg("From: a@x.org\nSubject: s\nX-Long: " + "\n ".join("word%d" % i for i in range(200)), "x\n"))
add("many-headers", msg("From: a@x.org\n" + "\n".join("X-H%d: v%d" % (i, i) for i in range(300)), "x\n"))
add("received-chain", msg("Received: from a by b; Mon, 1 Jan 2024\nReceived: from c\n by d; Mon, 1 Jan 2024\n" + STD, "x\n"))


# --- second batch (appended; numbering continues) --------------------------
add("digest-explicit-rfc822", mp("digest", "dg2", ["Content-Type: message/rfc822\n\n" + EMB, "\n" + EMB]))
add("digest-nested-multipart", mp("mixed", "dm", ["Content-Type: multipart/digest; boundary=\"dd\"\n\n--dd\n\n" + EMB + "--dd\nContent-Type: text/plain\n\nnot a message\n--dd--\n"]))
add("rfc822-base64-cte", mp("mixed", "rb", ["Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(EMB.replace("\n", "\r\n").encode()).decode()]))
add("rfc822-child-no-mime-version", mp("mixed", "rn", ["Content-Type: message/rfc822\n\nFrom: a@x.org\nSubject: inner\nContent-Transfer-Encoding: quoted-printable\nContent-ID: <ignored@x>\n\nbody =3D\n"]))
add("rfc822-child-content-type-only", mp("mixed", "rc", ["Content-Type: message/rfc822\n\nFrom: a@x.org\nContent-Type: text/html; charset=utf-8\n\n<b>x</b>\n"]))
add("root-mime-version-cte-only", "From: a@x.org\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-ID: <c@x>\n\naGVsbG8=\n")
add("root-mime-version-no-type", "From: a@x.org\nMIME-Version: 1.0\nContent-Description: described\n\nplain\n")
add("boundary-quoted-spaces", mp("mixed", "a b  c", [TP, TH]))
add("boundary-rfc2231", (STD + "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary*0=\"two\"; boundary*1=\"parts\"\n\n--twoparts\n" + TP + "--twoparts--\n"))
add("signature-dashes", mp("mixed", "sd", ["Content-Type: text/plain\n\nbody text\n-- \nsignature\n--\n---\n"]))
add("preamble-dash-lines", mp("mixed", "pd2", [TP], preamble="-- not a boundary\n--pd\n--pd2x is prefix match\n"))
add("nul-in-header", raw=b"From: a@x.org\r\nSubject: nul\x00here\r\nX-N: \x00\r\n\r\nbody\r\n")
add("mbox-from-line", "From sender@example.org Sun Nov 22 10:00:00 2026\nFrom: a@x.org\nSubject: mbox\n\nbody\n")
add("cr-only-lines", raw=b"From: a@x.org\rSubject: cr only\r\rbody\r")
add("multipart-no-final-newline", raw=("\r\n".join((STD + "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"nf\"\n\n--nf\nContent-Type: text/plain\n\nlast line").split("\n"))).encode())
add("envelope-empty-from", env("From:\nTo: <>\nCc: ,\nBcc: ;"))
add("envelope-sender-group", env("From: a@x.org\nSender: G: s@x.org;\nReply-To: (only a comment)"))
add("envelope-date-comment", "Date: Mon, 1 Jan 2024 00:00:00 +0000 (UTC)\nFrom: a@x.org\nIn-Reply-To:\nMessage-ID: <caf\u00e9@x>\n\nx\n")
add("subject-encoded-folded", env("From: a@x.org\nSubject: =?UTF-8?Q?first?=\n =?UTF-8?Q?_second?=\n\tthird"))
add("disposition-rfc2231", mp("mixed", "d2", ["Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=iso-8859-1'en'r%E9sum%E9.pdf; creation-date=\"Mon, 1 Jan 2024 00:00:00 +0000\"\n\ndata\n"]))
add("disposition-empty", mp("mixed", "de", ["Content-Type: text/plain\nContent-Disposition: ; filename=x\n\ndata\n"]))
add("language-comments", mp("mixed", "lc", ["Content-Type: text/plain\nContent-Language: (English) en (US)\n\ndata\n"]))
add("location-folded", mp("mixed", "lf2", ["Content-Type: text/plain\nContent-Location: http://example.org/\n a/long/path\n\ndata\n"]))
add("md5-id-empty", mp("mixed", "me", ["Content-Type: text/plain\nContent-MD5:\nContent-ID:\nContent-Description:\n\ndata\n"]))
add("type-params-comment-between", mp("mixed", "tc", ["Content-Type: text/plain; (c) charset (d) = (e) \"utf-8\" (f)\n\ndata\n"]))
add("type-8bit-token", mp("mixed", "t8", ["Content-Type: text/pl\u00e4in\n\ndata\n"]))
add("multipart-boundary-after-close-outer", mp("mixed", "o1", ["Content-Type: multipart/mixed; boundary=\"i1\"\n\n--i1\n" + TP + "--i1--\ninner epilogue\n--o1 stays outer\n" + TP], epilogue="outer epilogue\n"))
add("nested-rfc822-same-boundary", mp("mixed", "sb", ["Content-Type: message/rfc822\n\nFrom: a@x.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"sb\"\n\n--sb\n" + TP + "--sb--\n", TP]))
add("header-continuation-blank-spaces", "From: a@x.org\nSubject: a\n   \n\tb\n\nbody\n")
add("header-long-line", "From: a@x.org\nX-Long: " + "y" * 5000 + "\nSubject: after long\n\nbody\n")
add("dots-only-lines", msg(STD, ".\n..\n...\n. \n"))
add("body-starts-with-dot-no-header", ".starts with dot\nFrom: nobody\n")
add("qp-trailing-ws-soft", mp("mixed", "qw", ["Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nsoft with spaces =  \nnext\ttab\t\nend="]))
add("base64-garbage-after-pad", mp("mixed", "bg", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGk=\naGk=\n"]))
add("base64-crlf-only", mp("mixed", "bc", ["Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n\n\n"]))

os.makedirs(HERE, exist_ok=True)
seen = set()
for i, (name, data) in enumerate(cases, start=1):
    assert name not in seen, name
    seen.add(name)
    path = os.path.join(HERE, "%03d-%s.eml" % (i, name))
    with open(path, "wb") as f:
        f.write(data)
print(len(cases), "messages")
