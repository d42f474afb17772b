#!/bin/sh
# footprint.sh COMMAND [ARG ...]: runs one command under GNU time and
# prints its peak resident memory ("max_rss_kb N") on standard error after
# the command's own; the command's standard output passes through, and its
# exit status is footprint's.  Needs /usr/bin/time (Debian package time).
#   tools/footprint.sh denki-meter-read -c home.yaml -d samples poll.jsonl
[ $# -gt 0 ] || { echo "usage: footprint.sh command [arg ...]" >&2; exit 64; }
[ -x /usr/bin/time ] || { echo "footprint.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 69; }
log=$(mktemp) || exit 73
/usr/bin/time -v -o "$log" "$@"
rc=$?
kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$log")
rm -f "$log"
[ -n "$kb" ] || { echo "footprint.sh: no figure from /usr/bin/time" >&2; exit 70; }
echo "max_rss_kb $kb" >&2
exit $rc
