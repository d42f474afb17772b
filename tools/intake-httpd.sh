# Sourced by tools/bench-intake.sh and examples/demo-net.sh: denki-intake as
# a CGI program behind lighttpd on 127.0.0.1, on a free port.
# intake_httpd DIR COMMAND: DIR/intake.cgi runs COMMAND (a shell command
# line), served at POST $url (set here) by lighttpd (its pid in $httpd; its
# log and the CGI runs' stderr in DIR/cgi.err); 69 when it does not start.
intake_httpd() {
	mkdir -p "$1/www"
	printf '#!/bin/sh\n%s\n' "$2" >"$1/intake.cgi"
	chmod +x "$1/intake.cgi"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$1/lighttpd.conf" <<CONF
server.port = $port
server.bind = "127.0.0.1"
server.document-root = "$1/www"
server.modules += ( "mod_alias", "mod_cgi" )
server.errorlog = "$1/cgi.err"
server.max-connections = 1024
alias.url += ( "/intake" => "$1/intake.cgi" )
\$HTTP["url"] =~ "^/intake" { cgi.assign = ( "" => "" ) }
CONF
	lighttpd -D -f "$1/lighttpd.conf" </dev/null >/dev/null 2>>"$1/cgi.err" &
	httpd=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "lighttpd did not start: $(cat "$1/cgi.err")" >&2; exit 69; }
		sleep 0.1
	done
	url=http://127.0.0.1:$port/intake
}
