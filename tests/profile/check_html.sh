#!/usr/bin/env bash
# tests/profile/check_html.sh ASSAY DRIVER WORKDIR — the HTML profile report
# renders in a real browser, one section per field, data shown as text and
# nothing fetched from the network.
#
#   1. the hand-written hostile profile (hostile.profile.json beside this
#      script: markup, quotes, ampersands, control characters, long values in
#      names and values) drawn by DRIVER (test_profile_out html IN OUT);
#   2. when ASSAY has `profile`, `assay profile --html` on a hostile CSV.
# Each page is loaded by headless chromium with every host name unresolvable
# and a network log; check_html.py checks the source, the DOM and the log.
# Exit 77 (skipped) when chromium is not installed.
set -euo pipefail
assay=$1 driver=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check_html: chromium is not installed: skipped"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd)

render() { # PAGE PROFILE_OR_NAMES
  local page=$1 names=$2 base=${1%.html}
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --no-first-run --user-data-dir="$work/chrome" \
    --host-resolver-rules="MAP * ~NOTFOUND" --log-net-log="$base.netlog.json" \
    --dump-dom "file://$page" > "$base.dom.html" 2> "$base.chromium.log"
  grep -q "<section" "$base.dom.html" || { echo "check_html: chromium rendered nothing"; cat "$base.chromium.log"; exit 1; }
  python3 "$here/check_html.py" "$page" "$names" "$base.dom.html" "$base.netlog.json"
}

"$driver" html "$here/hostile.profile.json" "$work/fixture.html"
render "$work/fixture.html" "$here/hostile.profile.json"

if "$assay" profile --help > /dev/null 2>&1; then
  long=$(printf 'y%.0s' $(seq 1 400))
  {
    printf 'id,"<script>alert(1)</script>","a & b ""q"" '"'"'x'"'"'",</h2>notes,amount\n'
    for i in $(seq 1 300); do
      case $((i % 5)) in
        0) v='<img src=x onerror=alert(1)>' ;;
        1) v='http://evil.example/x.js' ;;
        2) v='"url(//evil.example/a.png)"' ;;
        3) v="$long" ;;
        *) v='"&amp; ""quoted"" <b>"' ;;
      esac
      printf '%d,%s,N/A,%s,%d.%02d\n' "$i" "$v" "$([ $((i % 7)) = 0 ] && echo '' || echo "note $i")" $((i * 3)) $((i % 100))
    done
  } > "$work/hostile.csv"
  "$assay" profile --html "$work/real.html" "$work/hostile.csv"
  python3 - "$work/names.json" <<'PY'
import json, sys
names = ["id", "<script>alert(1)</script>", "a & b \"q\" 'x'", "</h2>notes", "amount"]
json.dump({"fields": [{"name": n} for n in names]}, open(sys.argv[1], "w"))
PY
  render "$work/real.html" "$work/names.json"
else
  echo "check_html: $assay has no profile command yet: the real report is not checked"
fi
