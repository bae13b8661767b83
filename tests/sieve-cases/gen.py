#!/usr/bin/env python3
"""Writes the Sieve differential cases (one .sieve file per case, grouped by
extension). Each case file starts with `# msg:`, `# from:`, `# to:` lines
naming the message (in messages/) and the envelope; `# expect:` pins our
normalised result where Pigeonhole is excluded (see EXCEPTIONS.md).
Run it again after editing; it rewrites every case directory."""
import os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
cases = {}

def case(ext, name, script, msg="plain.eml", frm="alice+news@example.com",
         to="bob+work@example.org", expect=None):
    cases.setdefault(ext, []).append((name, script, msg, frm, to, expect))

MSGS = ["plain.eml", "list.eml", "multipart.eml", "encoded.eml", "spam.eml", "auto.eml", "big.eml", "broken.eml"]

# ---------------------------------------------------------------- core (5228)
hdr_tests = [
    ('header :is "subject" "Meeting tomorrow at 10"', "is-exact"),
    ('header :is "Subject" "meeting TOMORROW at 10"', "is-casemap"),
    ('header :contains "subject" "tomorrow"', "contains"),
    ('header :contains "subject" ""', "contains-empty"),
    ('header :matches "subject" "Meeting*"', "matches-prefix"),
    ('header :matches "subject" "*at ??"', "matches-qmark"),
    ('header :matches "subject" "M?eting*"', "matches-miss"),
    ('header :contains ["subject","x-note"] ["ascii", "SPAM"]', "lists"),
    ('header :is "x-missing" ""', "missing-empty"),
    ('header :contains "from" "alice"', "from-contains"),
    ('header :is "x-spam-flag" "yes"', "spam-flag"),
    ('header :contains "list-id" "<rust-users.lists.example.org>"', "list-id"),
    ('header :is "x-tag" "beta"', "multi-field"),
    ('header :is "subject" ""', "empty-subject"),
    ('header :matches "x-spam-level" "\\\\*\\\\*\\\\*\\\\**"', "escaped-stars"),
    ('header :matches "subject" "*"', "star-all"),
]
i = 0
for t, n in hdr_tests:
    for m in ["plain.eml", "list.eml", "spam.eml", "encoded.eml"]:
        i += 1
        case("core", f"header-{n}-{m[:-4]}", f'if {t} {{ discard; }}', m)
addr_tests = [
    ('address :is "from" "alice+news@example.com"', "all"),
    ('address :localpart :is "from" "alice+news"', "localpart"),
    ('address :domain :is "from" "EXAMPLE.com"', "domain"),
    ('address :domain :contains ["to","cc"] "sub.example"', "cc-domain"),
    ('address :all :matches "to" "*@example.net"', "to-matches"),
    ('address :is "cc" "dave@sub.example.org"', "quoted-name"),
    ('address :localpart :is "to" "undisclosed-recipients"', "group"),
    ('address :domain :is "from" "lists.example.org"', "list-domain"),
]
for t, n in addr_tests:
    for m in ["plain.eml", "list.eml", "spam.eml"]:
        case("core", f"address-{n}-{m[:-4]}", f'if {t} {{ discard; }}', m)
misc = {
    "exists-one": 'if exists "x-spam-flag" { discard; }',
    "exists-all": 'if exists ["from","date","x-priority"] { discard; }',
    "exists-none": 'if exists ["from","x-nope"] { discard; }',
    "size-over": 'if size :over 1K { discard; }',
    "size-under": 'if size :under 1K { discard; }',
    "size-over-exact": 'if size :over 667 { discard; }',
    "size-under-exact": 'if size :under 667 { discard; }',
    "size-m": 'if size :under 1M { discard; }',
    "not": 'if not exists "x-spam-flag" { discard; }',
    "allof": 'if allof (exists "from", header :contains "subject" "meeting") { discard; }',
    "allof-false": 'if allof (exists "from", false) { discard; }',
    "anyof": 'if anyof (false, header :contains "subject" "meeting") { discard; }',
    "anyof-false": 'if anyof (false, not true) { discard; }',
    "nested": 'if anyof (allof (true, not false), false) { if true { discard; } }',
    "elsif": 'if false { discard; } elsif true { redirect "x@example.net"; } else { keep; }',
    "else": 'if false { discard; } elsif false { redirect "x@example.net"; } else { keep; }',
    "stop": 'keep; stop; discard;',
    "stop-in-block": 'if true { stop; } discard;',
    "discard-keep": 'discard; keep;',
    "keep-twice": 'keep; keep;',
    "redirect": 'redirect "friend@example.net";',
    "redirect-dup": 'redirect "friend@example.net"; redirect "friend@example.net";',
    "redirect-5": 'redirect "a@example.net"; redirect "b@example.net"; redirect "c@example.net"; redirect "d@example.net"; redirect "e@example.net";',
    "redirect-4": 'redirect "a@example.net"; redirect "b@example.net"; redirect "c@example.net"; redirect "d@example.net";',
    "redirect-keep": 'redirect "a@example.net"; keep;',
    "empty": '',
    "comments": '# a comment\n/* block\n comment */ if true /* inline */ { discard; } # end',
    "multiline": 'if header :is "subject" text:\nMeeting tomorrow at 10\n.\n{ discard; }',
    "multiline-dot": 'if header :contains "subject" text: # comment\n..Meeting\n.\n{ discard; }',
    "quoted-escape": 'if header :is "subject" "Meeting \\tomorrow at 10" { discard; }',
    "true": 'if true { discard; }',
    "false": 'if false { discard; }',
    "big-size": 'if size :over 10K { fileinto "big"; }',
}
for n, s in misc.items():
    needs = 'require "fileinto";\n' if "fileinto" in s else ""
    case("core", n, needs + s, "big.eml" if "size" in n and "big" in n else "plain.eml")
errors = {
    "err-unterminated": 'if true { discard;',
    "err-missing-semicolon": 'discard',
    "err-unknown-command": 'frobnicate;',
    "err-unknown-test": 'if frob { stop; }',
    "err-unknown-ext": 'require "x-unknown";',
    "err-fileinto-unrequired": 'fileinto "x";',
    "err-require-late": 'keep; require "fileinto";',
    "err-else-alone": 'else { keep; }',
    "err-elsif-alone": 'elsif true { keep; }',
    "err-if-no-test": 'if { keep; }',
    "err-header-args": 'if header "subject" { keep; }',
    "err-header-number": 'if header :is 5 "x" { keep; }',
    "err-two-matchtypes": 'if header :is :contains "subject" "x" { keep; }',
    "err-bad-comparator": 'if header :comparator "i;nope" "subject" "x" { keep; }',
    "err-numeric-unrequired": 'if header :comparator "i;ascii-numeric" "subject" "x" { keep; }',
    "err-unknown-tag": 'if header :frob "subject" "x" { keep; }',
    "err-size-both": 'if size :over :under 1 { keep; }',
    "err-size-none": 'if size 1 { keep; }',
    "err-string-unclosed": 'if header :is "subject "x" { keep; }',
    "err-list-unclosed": 'if header :is ["a", "b" "x" { keep; }',
    "err-keep-arg": 'keep "x";',
    "err-stop-block": 'stop { keep; }',
    "err-not-two": 'if not (true, false) { keep; }',
    "err-redirect-noarg": 'redirect;',
    "err-redirect-bad": 'redirect "not an address";',
    "err-bad-char": 'keep; @',
    "err-comment-open": 'keep; /* never closed',
    "err-multiline-open": 'if header :is "s" text:\nabc\n',
    "err-tag-late": 'if header "subject" :is "x" { keep; }',
    "err-empty-list": 'if header :is [] "x" { keep; }',
    "err-anyof-empty": 'if anyof () { keep; }',
    "err-number-huge": 'if size :over 99999999999G { keep; }',
    "err-if-semicolon": 'if true;',
}
for n, s in errors.items():
    case("core", n, s)

# ---------------------------------------------------------------- fileinto
fi = {
    "basic": 'fileinto "Work";',
    "twice": 'fileinto "Work"; fileinto "Work";',
    "two": 'fileinto "Work"; fileinto "Archive";',
    "inbox": 'fileinto "INBOX";',
    "inbox-keep": 'fileinto "INBOX"; keep;',
    "cond": 'if header :contains "subject" "release" { fileinto "Lists"; }',
    "list-id": 'if exists "list-id" { fileinto "Lists"; stop; } fileinto "Other";',
    "spam": 'if header :is "x-spam-flag" "YES" { fileinto "Junk"; }',
    "discard-after": 'fileinto "Work"; discard;',
    "hierarchy": 'fileinto "Lists/rust";',
    "utf8": 'fileinto "Caf\u00e9";',
    "keep-then": 'keep; fileinto "Work";',
    "stop-before": 'stop; fileinto "Work";',
}
for n, s in fi.items():
    for m in ["plain.eml", "list.eml", "spam.eml"] if n in ("cond", "list-id", "spam") else ["plain.eml"]:
        case("fileinto", f"{n}-{m[:-4]}", 'require "fileinto";\n' + s, m)
case("fileinto", "err-number", 'require "fileinto";\nfileinto 5;')
case("fileinto", "err-list", 'require "fileinto";\nfileinto ["a","b"];')
case("fileinto", "err-copy-unrequired", 'require "fileinto";\nfileinto :copy "a";')

# ---------------------------------------------------------------- envelope
env = [
    ('envelope :is "from" "alice+news@example.com"', "from-is"),
    ('envelope :domain :is "from" "example.com"', "from-domain"),
    ('envelope :localpart :is "from" "alice+news"', "from-local"),
    ('envelope :is "to" "bob+work@example.org"', "to-is"),
    ('envelope :domain :contains "to" "example"', "to-domain"),
    ('envelope :matches "from" "*@*.com"', "from-matches"),
    ('envelope :is ["from","to"] "bob+work@example.org"', "both"),
    ('envelope :is "FROM" "ALICE+NEWS@EXAMPLE.COM"', "case"),
    ('envelope :comparator "i;octet" :is "from" "ALICE+NEWS@EXAMPLE.COM"', "octet"),
    ('envelope :contains "to" "+work"', "to-contains"),
    ('not envelope :is "from" "someone@else.example"', "not"),
]
for t, n in env:
    case("envelope", n, f'require "envelope";\nif {t} {{ discard; }}')
    case("envelope", n + "-other", f'require "envelope";\nif {t} {{ discard; }}', "list.eml",
         "rust-users-bounces@lists.example.org", "bob@example.org")
case("envelope", "err-unrequired", 'if envelope :is "from" "x" { discard; }')
case("envelope", "err-part", 'require "envelope";\nif envelope :is "cc" "x" { discard; }')

# ---------------------------------------------------------------- encoded-character
enc = [
    ('header :is "subject" "${hex:4d 65 65 74 69 6e 67} tomorrow at 10"', "hex"),
    ('header :is "subject" "${unicode:4d}eeting tomorrow at 10"', "unicode"),
    ('header :contains "subject" "${hex: 74 6F 6D 6F }"', "hex-spaces"),
    ('header :is "subject" "${hex:zz}"', "bad-hex"),
    ('header :is "subject" "${hex:}Meeting tomorrow at 10"', "empty-hex"),
    ('header :contains "subject" "${HEX:61}t"', "upper"),
    ('header :contains "subject" "${unicode:0074 006f}"', "unicode-multi"),
    ('header :contains "subject" "$${hex:7b}"', "dollar"),
]
for t, n in enc:
    case("encoded-character", n, f'require "encoded-character";\nif {t} {{ discard; }}')
case("encoded-character", "utf8", 'require "encoded-character";\nif header :contains "subject" "caf${unicode:e9}" { discard; }', "encoded.eml")
case("encoded-character", "utf8-hex", 'require "encoded-character";\nif header :contains "subject" "caf${hex:c3 a9}" { discard; }', "encoded.eml")
case("encoded-character", "not-required", 'if header :is "subject" "${hex:4d}eeting tomorrow at 10" { discard; }')
case("encoded-character", "fileinto", 'require ["encoded-character","fileinto"];\nfileinto "${hex:57 6f 72 6b}";')

# ---------------------------------------------------------------- copy
cp = {
    "redirect": 'redirect :copy "friend@example.net";',
    "fileinto": 'fileinto :copy "Work";',
    "both": 'fileinto :copy "Work"; redirect :copy "friend@example.net";',
    "then-discard": 'fileinto :copy "Work"; discard;',
    "redirect-then-plain": 'redirect :copy "a@example.net"; redirect "a@example.net";',
    "fileinto-twice": 'fileinto :copy "Work"; fileinto "Work";',
    "cond": 'if header :contains "subject" "meeting" { redirect :copy "boss@example.net"; }',
    "keep": 'redirect :copy "friend@example.net"; keep;',
}
# RFC wins (EXCEPTIONS.md): a later action without :copy cancels the
# implicit keep even when it merges with an earlier :copy duplicate.
cp_expect = {"fileinto-twice": ["store Work"], "redirect-then-plain": ["redirect a@example.net"]}
for n, s in cp.items():
    case("copy", n, 'require ["copy","fileinto"];\n' + s, expect=cp_expect.get(n))
case("copy", "err-unrequired", 'redirect :copy "a@example.net";')
case("copy", "err-keep", 'require "copy";\nkeep :copy;')

# ---------------------------------------------------------------- body
bd = [
    ('body :contains "room 42"', "plain.eml", "text"),
    ('body :text :contains "agenda"', "plain.eml", "text-tag"),
    ('body :raw :contains "Alice"', "plain.eml", "raw"),
    ('body :contains "nothing like this"', "plain.eml", "miss"),
    ('body :contains "12345"', "multipart.eml", "mp-text"),
    ('body :contains "Thanks for shopping"', "multipart.eml", "mp-qp-softbreak"),
    ('body :raw :contains "=E2=82=AC"', "multipart.eml", "mp-raw"),
    ('body :content "text/html" :contains "confirmed"', "multipart.eml", "content-html"),
    ('body :content "text" :contains "12345"', "multipart.eml", "content-text"),
    ('body :content "application/pdf" :contains "INVOICE"', "multipart.eml", "content-pdf"),
    ('body :content "image" :contains "x"', "multipart.eml", "content-image"),
    ('body :matches "*prize*"', "spam.eml", "matches"),
    ('body :is "x"', "broken.eml", "is-short"),
    ('body :contains "caf\u00e9"', "encoded.eml", "utf8"),
    ('body :raw :contains "epilogue"', "multipart.eml", "raw-epilogue"),
    ('body :contains "epilogue"', "multipart.eml", "text-epilogue"),
    ('body :contains "line 150"', "big.eml", "big"),
    ('body :content "text/plain" :contains "12345"', "multipart.eml", "content-plain"),
    ('body :comparator "i;octet" :contains "HI BOB"', "plain.eml", "octet"),
    ('body :contains "HI BOB"', "plain.eml", "casemap"),
    ('body :raw :matches "*PGh0bWw+*"', "multipart.eml", "raw-base64"),
]
for t, m, n in bd:
    case("body", n, f'require "body";\nif {t} {{ discard; }}', m)
case("body", "err-unrequired", 'if body :contains "x" { discard; }')
case("body", "err-two-transforms", 'require "body";\nif body :raw :text :contains "x" { discard; }')
case("body", "err-content-number", 'require "body";\nif body :content 5 :contains "x" { discard; }')

# ---------------------------------------------------------------- variables
vs = {
    "set-expand": 'set "folder" "Work"; fileinto "${folder}";',
    "unknown-empty": 'fileinto "A${nothing}B";',
    "case-names": 'set "Folder" "Work"; fileinto "${FOLDER}";',
    "lower": 'set :lower "f" "WoRk"; fileinto "${f}";',
    "upper": 'set :upper "f" "WoRk"; fileinto "${f}";',
    "upperfirst": 'set :upperfirst "f" "work"; fileinto "${f}";',
    "lowerfirst": 'set :lowerfirst "f" "WORK"; fileinto "${f}";',
    "upper-lowerfirst": 'set :upper :lowerfirst "f" "work"; fileinto "${f}";',
    "length": 'set :length "n" "hello"; fileinto "n${n}";',
    "quotewildcard": 'set :quotewildcard "q" "a*b?c"; if string :is "${q}" "a\\\\*b\\\\?c" { discard; }',
    "match-vars": 'if header :matches "subject" "* tomorrow at *" { fileinto "${1}-${2}"; }',
    "match-zero": 'if header :matches "subject" "Meeting*" { fileinto "${0}"; }',
    "match-qmark": 'if header :matches "subject" "M??ting*" { fileinto "${1}${2}"; }',
    "match-list-subject": 'if header :matches "list-id" "*<*.lists.example.org>" { fileinto "Lists/${2}"; }',
    "match-from": 'if address :matches "from" "*+*@*" { fileinto "${2}"; }',
    "string-is": 'set "a" "x"; if string :is "${a}" "x" { discard; }',
    "string-empty": 'if string :is "${undefined}" "" { discard; }',
    "string-contains": 'set "a" "hello world"; if string :contains "${a}" "lo w" { discard; }',
    "string-list": 'if string :is ["a","b"] "b" { discard; }',
    "string-matches": 'set "a" "foo.bar"; if string :matches "${a}" "*.*" { fileinto "${2}"; }',
    "nested-ref": 'set "a" "b"; set "b" "c"; fileinto "${${a}}";',
    "bad-ref": 'fileinto "x${1a}";',
    "set-twice": 'set "a" "1"; set "a" "${a}2"; fileinto "${a}";',
    "redirect-var": 'set "who" "friend"; redirect "${who}@example.net";',
    "no-match-keeps": 'if header :matches "subject" "zzz*" { fileinto "no"; } fileinto "x${1}";',
    "match-failed-keeps-old": 'if header :matches "subject" "M*" {} if header :matches "subject" "zzz*" {} fileinto "${1}";',
    "dots-in-name": 'fileinto "${a.b}x";',
    "digits": 'if header :matches "x-spam-score" "*" { fileinto "s${1}"; }',
    "subject-encoded": 'if header :matches "subject" "* *" { fileinto "${1}"; }',
    "reject-var": 'set "r" "go away"; reject "${r}";',
    "count-string": 'if string :count "eq" :comparator "i;ascii-numeric" ["a","","b"] "2" { discard; }',
    "set-length-utf8": 'set :length "n" "caf\u00e9"; fileinto "n${n}";',
}
for n, s in vs.items():
    req = ['"variables"', '"fileinto"']
    if "reject" in s: req.append('"reject"')
    if "count" in s: req += ['"relational"', '"comparator-i;ascii-numeric"']
    m = "encoded.eml" if n == "subject-encoded" else ("list.eml" if "list" in n else "plain.eml")
    case("variables", n, f'require [{",".join(req)}];\n' + s, m)
case("variables", "err-unrequired", 'set "a" "b";')
case("variables", "err-bad-name", 'require "variables";\nset "1a" "b";')
case("variables", "err-two-case", 'require "variables";\nset :lower :upper "a" "b";')
case("variables", "err-string-unrequired", 'if string :is "a" "a" { keep; }')

# ---------------------------------------------------------------- vacation
vc = {
    "basic": 'vacation "I am away.";',
    "days": 'vacation :days 3 "I am away.";',
    "days-1": 'vacation :days 1 "back soon";',
    "days-0": 'vacation :days 0 "zero";',
    "days-big": 'vacation :days 1000 "long";',
    "subject": 'vacation :subject "Away" "I am away.";',
    "from": 'vacation :from "bob@example.org" "I am away.";',
    "from-named": 'vacation :from "Bob <bob@example.org>" "I am away.";',
    "addresses": 'vacation :addresses ["bob@example.org","robert@example.org"] "I am away.";',
    "mime": 'vacation :mime "Content-Type: text/plain\r\n\r\nAway";',
    "handle": 'vacation :handle "h1" "I am away.";',
    "all": 'vacation :days 2 :subject "Out" :from "bob@example.org" :addresses "bob@example.org" :handle "x" "Gone.";',
    "cond": 'if header :contains "subject" "meeting" { vacation "away"; }',
    "with-discard": 'vacation "away"; discard;',
    "with-fileinto": 'vacation "away"; fileinto "Work";',
    "multiline": 'vacation text:\nI am away\nuntil Monday.\n.\n;',
    "twice": 'vacation "a"; vacation "b";',
    "var-subject": 'if header :matches "subject" "*" { vacation :subject "Re: ${1}" "away"; }',
}
for n, s in vc.items():
    req = ['"vacation"', '"fileinto"']
    if "${" in s: req.append('"variables"')
    case("vacation", n, f'require [{",".join(req)}];\n' + s)
    if n in ("basic", "cond"):
        for m in ["list.eml", "auto.eml", "spam.eml"]:
            case("vacation", f"{n}-{m[:-4]}", f'require [{",".join(req)}];\n' + s, m)
for n, s in {"seconds": 'vacation :seconds 7200 "away";', "seconds-day": 'vacation :seconds 86400 "away";',
             "seconds-0": 'vacation :seconds 0 "away";', "seconds-2days": 'vacation :seconds 172800 "away";',
             "seconds-week": 'vacation :seconds 604800 :subject "x" "away";'}.items():
    case("vacation", n, 'require ["vacation", "vacation-seconds"];\n' + s)
case("vacation", "err-unrequired", 'vacation "x";')
case("vacation", "err-seconds-unrequired", 'require "vacation";\nvacation :seconds 5 "x";')
case("vacation", "err-days-seconds", 'require ["vacation","vacation-seconds"];\nvacation :days 1 :seconds 5 "x";')
case("vacation", "err-no-reason", 'require "vacation";\nvacation :days 1;')
case("vacation", "err-days-string", 'require "vacation";\nvacation :days "1" "x";')

# ---------------------------------------------------------------- relational
rel = [
    ('header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "5"', "value-gt"),
    ('header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "10"', "value-lt"),
    ('header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "12"', "value-ge"),
    ('header :value "le" :comparator "i;ascii-numeric" "x-spam-score" "6"', "value-le"),
    ('header :value "eq" :comparator "i;ascii-numeric" "x-spam-score" "007"', "value-eq-zeros"),
    ('header :value "ne" :comparator "i;ascii-numeric" "x-spam-score" "7"', "value-ne"),
    ('header :value "gt" "subject" "M"', "value-casemap"),
    ('header :value "lt" :comparator "i;octet" "subject" "a"', "value-octet"),
    ('header :count "eq" :comparator "i;ascii-numeric" "x-tag" "3"', "count-eq"),
    ('header :count "gt" :comparator "i;ascii-numeric" "x-tag" "2"', "count-gt"),
    ('header :count "eq" :comparator "i;ascii-numeric" "x-none" "0"', "count-zero"),
    ('address :count "ge" :comparator "i;ascii-numeric" ["to","cc"] "3"', "count-addr"),
    ('address :count "eq" :comparator "i;ascii-numeric" "to" "2"', "count-to"),
    ('header :value "gt" :comparator "i;ascii-numeric" "subject" "5"', "value-nondigit"),
    ('header :value "lt" :comparator "i;ascii-numeric" "x-priority" "3"', "value-priority"),
    ('header :count "lt" :comparator "i;ascii-numeric" ["x-tag","subject"] "5"', "count-multi"),
    ('header :value "eq" "x-tag" "BETA"', "value-eq-casemap"),
    ('envelope :count "eq" :comparator "i;ascii-numeric" "to" "1"', "count-envelope"),
]
for t, n in rel:
    for m in ["plain.eml", "spam.eml"]:
        case("relational", f"{n}-{m[:-4]}", 'require ["relational","comparator-i;ascii-numeric","envelope"];\n' + f'if {t} {{ discard; }}', m)
case("relational", "err-bad-op", 'require "relational";\nif header :value "xx" "subject" "a" { discard; }')
case("relational", "err-unrequired", 'if header :value "gt" "subject" "a" { discard; }')
case("relational", "err-count-number", 'require "relational";\nif header :count 3 "subject" "a" { discard; }')

# ---------------------------------------------------------------- imap4flags
fl = {
    "addflag": 'addflag "\\\\Seen";',
    "addflag-list": 'addflag ["\\\\Seen", "\\\\Flagged"];',
    "addflag-spaces": 'addflag "\\\\Seen \\\\Answered";',
    "setflag": 'addflag "\\\\Seen"; setflag "\\\\Deleted";',
    "removeflag": 'addflag ["\\\\Seen","\\\\Flagged"]; removeflag "\\\\Seen";',
    "remove-case": 'addflag "\\\\Seen"; removeflag "\\\\SEEN";',
    "dupe": 'addflag "\\\\Seen"; addflag "\\\\seen";',
    "keep-flags": 'keep :flags "\\\\Flagged";',
    "fileinto-flags": 'fileinto :flags ["\\\\Seen","work"] "Work";',
    "fileinto-current": 'addflag "\\\\Seen"; fileinto "Work"; removeflag "\\\\Seen"; fileinto "Other";',
    "hasflag": 'addflag "\\\\Seen"; if hasflag "\\\\seen" { fileinto "yes"; }',
    "hasflag-miss": 'addflag "\\\\Seen"; if hasflag "\\\\Flagged" { fileinto "yes"; }',
    "hasflag-contains": 'addflag "Junk"; if hasflag :contains "unk" { fileinto "yes"; }',
    "hasflag-list": 'addflag ["a","b"]; if hasflag ["c","b"] { fileinto "yes"; }',
    "hasflag-count": 'addflag ["a","b","c"]; if hasflag :count "eq" :comparator "i;ascii-numeric" "3" { fileinto "yes"; }',
    "setflag-empty": 'addflag "a"; setflag ""; fileinto "Work";',
    "var-flags": 'addflag "myflags" "x"; fileinto :flags "${myflags}" "Work";',
    "var-hasflag": 'setflag "myflags" ["a","b"]; if hasflag "myflags" "b" { fileinto "yes"; }',
    "spam-junk": 'if header :is "x-spam-flag" "yes" { addflag "$Junk"; fileinto "Junk"; }',
    "implicit": 'addflag "\\\\Flagged";',
    "keep-no-flags-arg": 'addflag "a"; keep;',
    "keep-empty-flags": 'addflag "a"; keep :flags "";',
    "custom-keyword": 'addflag "$Label1"; keep;',
}
for n, s in fl.items():
    req = ['"imap4flags"', '"fileinto"']
    if '"myflags"' in s or "${" in s: req.append('"variables"')
    if "count" in s: req += ['"relational"', '"comparator-i;ascii-numeric"']
    case("imap4flags", n, f'require [{",".join(req)}];\n' + s, "spam.eml" if "spam" in n else "plain.eml")
case("imap4flags", "err-unrequired", 'addflag "x";')
case("imap4flags", "err-flags-unrequired", 'require "fileinto";\nfileinto :flags "x" "A";')
case("imap4flags", "err-number", 'require "imap4flags";\naddflag 5;')

# ---------------------------------------------------------------- subaddress
sa = [
    ('address :user "from" "alice"', "from-user"),
    ('address :detail "from" "news"', "from-detail"),
    ('address :detail "to" "work"', "to-detail"),
    ('address :user "to" "carol"', "to-user-nosep"),
    ('address :detail "to" ""', "detail-empty"),
    ('envelope :detail "to" "work"', "env-detail"),
    ('envelope :user "to" "bob"', "env-user"),
    ('envelope :detail :matches "to" "w*"', "env-detail-matches"),
    ('envelope :detail "from" "news"', "env-from-detail"),
    ('address :detail :contains "cc" "x"', "cc-no-detail"),
    ('not address :detail :is "to" "nothing"', "not"),
]
for t, n in sa:
    case("subaddress", n, f'require ["subaddress","envelope"];\nif {t} {{ discard; }}')
case("subaddress", "env-detail-none", 'require ["subaddress","envelope"];\nif envelope :detail :is "to" "" { discard; }', to="bob@example.org")
case("subaddress", "env-detail-emptyplus", 'require ["subaddress","envelope"];\nif envelope :detail :is "to" "" { discard; }', to="bob+@example.org")
case("subaddress", "fileinto-detail", 'require ["subaddress","envelope","variables","fileinto"];\nif envelope :detail :matches "to" "*" { fileinto "${1}"; }')
case("subaddress", "err-unrequired", 'if address :detail "to" "x" { discard; }')

# ---------------------------------------------------------------- date + index
dt = [
    ('date :is "date" "year" "2026"', "year"),
    ('date :is "date" "month" "03"', "month"),
    ('date :originalzone :is "date" "hour" "10"', "hour-original"),
    ('date :zone "+0000" :is "date" "hour" "09"', "hour-utc"),
    ('date :zone "-0500" :is "date" "date" "2026-03-03"', "date-zone"),
    ('date :originalzone :is "date" "zone" "+0100"', "zone-original"),
    ('date :zone "+0530" :is "date" "time" "14:42:45"', "time-ist"),
    ('date :originalzone :is "date" "weekday" "2"', "weekday"),
    ('date :zone "+0000" :is "date" "julian" "61102"', "julian"),
    ('date :originalzone :is "date" "iso8601" "2026-03-03T10:12:45+01:00"', "iso8601"),
    ('date :originalzone :is "date" "std11" "Tue, 3 Mar 2026 10:12:45 +0100"', "std11"),
    ('date :zone "+0000" :value "ge" "date" "date" "2026-01-01"', "value-ge"),
    ('date :zone "+0000" :matches "date" "time" "09:*"', "matches-time"),
    ('date :zone "+0000" :is "date" "iso8601" "2026-03-03T09:12:45Z"', "iso8601-utc"),
    ('date :zone "-0330" :is "date" "iso8601" "2026-03-03T05:42:45-03:30"', "iso8601-negative"),
    ('date :zone "+0000" :is "date" "std11" "Tue, 03 Mar 2026 09:12:45 +0000"', "std11-utc"),
    ('date :is "x-missing" "year" "2026"', "missing"),
    ('date :is "received" "year" "2026"', "received"),
    ('date :zone "+0000" :is "received" "hour" "09"', "received-first"),
    ('date :index 2 :zone "+0000" :is "received" "hour" "09"', "index-2"),
    ('date :index 1 :last :zone "+0000" :is "received" "hour" "09"', "index-last"),
    ('date :index 3 :is "received" "year" "2026"', "index-out"),
    ('date :originalzone :is "date" "minute" "12"', "minute"),
    ('date :originalzone :is "date" "second" "45"', "second"),
    ('date :originalzone :is "date" "day" "03"', "day"),
    ('currentdate :value "ge" "year" "2020"', "current-year"),
    ('currentdate :value "lt" "date" "2100-01-01"', "current-date"),
    ('currentdate :zone "+0000" :matches "iso8601" "*T*"', "current-iso"),
    ('currentdate :count "eq" :comparator "i;ascii-numeric" "year" "1"', "current-count"),
    ('date :count "eq" :comparator "i;ascii-numeric" "date" "year" "1"', "count"),
]
for t, n in dt:
    case("date", n, 'require ["date","relational","index","comparator-i;ascii-numeric"];\n' + f'if {t} {{ discard; }}')
for t, n in [('date :originalzone :is "date" "date" "2026-02-15"', "list-date"),
             ('date :zone "+0000" :is "date" "date" "2026-02-16"', "list-date-utc"),
             ('date :originalzone :is "date" "year" "2025"', "encoded-year"),
             ('date :zone "+0000" :is "date" "year" "2026"', "encoded-year-utc"),
             ('date :is "date" "year" "2026"', "broken")]:
    m = {"list": "list.eml", "enco": "encoded.eml", "brok": "broken.eml"}[n[:4]]
    case("date", n, 'require "date";\n' + f'if {t} {{ discard; }}', m)
case("date", "vars", 'require ["date","variables","fileinto"];\nif date :originalzone :matches "date" "date" "*" { fileinto "${1}"; }')
case("date", "err-unrequired", 'if date :is "date" "year" "2026" { discard; }')
case("date", "bad-part", 'require "date";\nif date :is "date" "fortnight" "1" { discard; }')
case("date", "bad-zone", 'require "date";\nif date :zone "CET" :is "date" "year" "1" { discard; }')
case("date", "err-index-unrequired", 'require "date";\nif date :index 1 :is "date" "year" "1" { discard; }')
case("date", "err-last-alone", 'require ["date","index"];\nif date :last :is "date" "year" "1" { discard; }')
idx = [
    ('header :index 2 :is "x-tag" "beta"', "header-2"),
    ('header :index 1 :last :is "x-tag" "gamma"', "header-last"),
    ('header :index 2 :last :is "x-tag" "beta"', "header-last-2"),
    ('header :index 4 :is "x-tag" "beta"', "header-out"),
    ('header :index 1 :is "x-tag" "beta"', "header-1-miss"),
    ('address :index 1 :is "to" "bob+work@example.org"', "address-1"),
    ('address :index 1 :last :domain :is "to" "example.net"', "address-last"),
]
for t, n in idx:
    case("index", n, 'require ["index"];\n' + f'if {t} {{ discard; }}')
case("index", "err-zero", 'require "index";\nif header :index 0 :is "x" "y" { discard; }')
case("index", "err-unrequired", 'if header :index 1 :is "x" "y" { discard; }')

# ---------------------------------------------------------------- reject / ereject
rj = {
    "reject": 'reject "Go away.";',
    "cond": 'if header :is "x-spam-flag" "YES" { reject "No spam please."; }',
    "multiline": 'reject text:\nI do not accept\nyour mail.\n.\n;',
    "with-discard": 'reject "no"; discard;',
    "with-fileinto": 'reject "no"; fileinto "Work";',
    "with-keep": 'keep; reject "no";',
    "with-redirect": 'redirect "a@example.net"; reject "no";',
    "twice": 'reject "a"; reject "b";',
    "with-vacation": 'vacation "away"; reject "no";',
    "stop": 'reject "a"; stop; keep;',
}
for n, s in rj.items():
    for m in (["plain.eml", "spam.eml"] if n == "cond" else ["plain.eml"]):
        case("reject", f"{n}-{m[:-4]}", 'require ["reject","fileinto","vacation"];\n' + s, m)
case("reject", "err-unrequired", 'reject "x";')
case("reject", "err-number", 'require "reject";\nreject 1;')
# Pigeonhole 0.5 has no ereject: these pin our RFC 5429 result.
case("ereject", "basic", 'require "ereject";\nereject "No thanks.";', expect=["ereject No thanks."])
case("ereject", "cond", 'require "ereject";\nif header :is "x-spam-flag" "YES" { ereject "spam"; }', "spam.eml", expect=["ereject spam"])
case("ereject", "cond-miss", 'require "ereject";\nif header :is "x-spam-flag" "YES" { ereject "spam"; }', expect=["store INBOX"])
case("ereject", "with-keep", 'require "ereject";\nkeep; ereject "no";', expect=["runtime-error"])
case("ereject", "with-discard", 'require "ereject";\nereject "no"; discard;', expect=["discard", "ereject no"])
case("ereject", "err-unrequired", 'ereject "x";', expect=["compile-error"])

# ---------------------------------------------------------------- mailbox
mb = {
    "exists-inbox": 'if mailboxexists "INBOX" { discard; }',
    "exists-work": 'if mailboxexists "Work" { discard; }',
    "exists-both": 'if mailboxexists ["INBOX","Work"] { discard; }',
    "exists-missing": 'if mailboxexists ["Work","Nope"] { discard; }',
    "create": 'fileinto :create "Nope";',
    "create-existing": 'fileinto :create "Work";',
    "create-copy": 'fileinto :create :copy "New";',
    "not-exists": 'if not mailboxexists "Nope" { fileinto :create "Nope"; }',
}
for n, s in mb.items():
    req = '"mailbox","fileinto"' + (',"copy"' if "copy" in s else "")
    case("mailbox", n, f'require [{req}];\n' + s)
case("mailbox", "err-unrequired", 'if mailboxexists "x" { discard; }')
case("mailbox", "err-create-unrequired", 'require "fileinto";\nfileinto :create "x";')

# ---------------------------------------------------------------- comparators
cm = [
    ('header :comparator "i;octet" :is "subject" "meeting tomorrow at 10"', "octet-case"),
    ('header :comparator "i;octet" :is "subject" "Meeting tomorrow at 10"', "octet-exact"),
    ('header :comparator "i;octet" :contains "subject" "Tomorrow"', "octet-contains"),
    ('header :comparator "i;octet" :matches "subject" "meeting*"', "octet-matches"),
    ('header :comparator "i;ascii-casemap" :matches "subject" "MEETING*"', "casemap-matches"),
    ('header :comparator "i;ascii-numeric" :is "x-spam-score" "7"', "numeric-is"),
    ('header :comparator "i;ascii-numeric" :is "x-spam-score" "07"', "numeric-zero"),
    ('header :comparator "i;ascii-numeric" :is "subject" "x"', "numeric-both-inf"),
    ('header :comparator "i;ascii-numeric" :is "x-spam-score" "7abc"', "numeric-trailing"),
    ('header :comparator "i;ascii-numeric" :contains "x-spam-score" "7"', "numeric-contains"),
    ('header :comparator "i;ascii-numeric" :matches "x-spam-score" "7"', "numeric-matches"),
    ('address :comparator "i;octet" :domain :is "from" "example.com"', "octet-address"),
    ('header :comparator "i;ascii-casemap" :is "subject" "CAF\u00c9 CR\u00c8ME BR\u00dbL\u00c9E"', "casemap-nonascii"),
]
for t, n in cm:
    for m in ["plain.eml", "spam.eml"]:
        case("comparators", f"{n}-{m[:-4]}", 'require ["comparator-i;ascii-numeric","comparator-i;octet"];\n' + f'if {t} {{ discard; }}', m)

# ---------------------------------------------------------------- include (6609)
# The included scripts are in scripts/personal and scripts/global.
inc = {
    "personal": 'include "work";',
    "personal-tag": 'include :personal "work";',
    "global": 'include :global "work";',
    "global-g": 'include :global "g";',
    "twice": 'include "work"; include "work";',
    "once": 'require "variables";\ninclude :once "counter"; include :once "counter";',
    "not-once": 'require "variables";\ninclude "counter"; include "counter";',
    "spam-stops": 'require "fileinto";\ninclude "spam"; fileinto "After";',
    "global-var-down": 'require "variables";\nglobal "folder"; set "folder" "Main"; include "usevar";',
    "global-var-up": 'require ["variables","fileinto"];\nglobal "folder"; include "setvar"; fileinto "${folder}";',
    "local-not-shared": 'require "variables";\nset "folder" "Main"; include "local";',
    "global-namespace": 'require "variables";\nset "global.folder" "G"; include "usevar";',
    "return-child": 'require "fileinto";\ninclude "ret"; fileinto "AfterRet";',
    "return-top": 'return; discard;',
    "stop-child": 'include "stop"; discard;',
    "nested": 'include "nested";',
    "optional-missing": 'include :optional "nope";',
    "discard-child": 'include "discard"; keep;',
    "flag-child": 'require "imap4flags";\ninclude "flag"; keep;',
    "err-loop": 'include "loop-a";',
    "err-self": 'include "self";',
    "err-missing": 'include "nope";',
    "err-bad-child": 'include "bad";',
    "err-both-locations": 'include :personal :global "work";',
    "err-global-no-variables": 'global "x";',
    "err-return-arg": 'return "x";',
}
for n, s in inc.items():
    for m in (["plain.eml", "spam.eml"] if n == "spam-stops" else ["plain.eml"]):
        case("include", f"{n}-{m[:-4]}", 'require "include";\n' + s, m)
case("include", "err-unrequired", 'include "work";')

# ---------------------------------------------------------------- write
for ext in cases:
    d = os.path.join(HERE, ext)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    seen = set()
    for (name, script, msg, frm, to, expect) in cases[ext]:
        assert name not in seen, (ext, name)
        seen.add(name)
        head = f"# msg: {msg}\n# from: {frm}\n# to: {to}\n"
        if expect is not None:
            head += "".join(f"# expect: {e}\n" for e in expect)
        with open(os.path.join(d, name + ".sieve"), "w", encoding="utf-8", newline="") as f:
            f.write(head + script + "\n")
total = sum(len(v) for v in cases.values())
for ext in sorted(cases):
    print(f"{ext:20} {len(cases[ext])}")
print("total", total)
