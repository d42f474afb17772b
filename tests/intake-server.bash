# The cooperative's intake for the household's tests (`load intake-server`):
# the real denki-intake as a CGI program behind Debian's lighttpd on
# 127.0.0.1, on a free port, over plain HTTP or TLS with a self-signed
# certificate made by openssl.  Needs the community of make_community in
# the cwd; stop_intake in teardown.
INTAKE_PID=

# start_intake [-t] [-C CA] [-w WRAP]: lighttpd serving POST /intake
# through intake/intake.cgi, which runs denki-intake -c coop.yaml (WRAP: a
# command line the CGI runs instead, with $INTAKE the intake's); -t: over
# TLS, its certificate in intake/cert.pem; -C: TLS that also asks each
# client for a certificate CA signed; the URL in IURL
start_intake() {
	local tls=0 wrap= port i j scheme=http ca=
	while [ $# -gt 0 ]; do
		case $1 in
		-t) tls=1 ;;
		-C) tls=1; ca=$2; shift ;;
		-w) wrap=$2; shift ;;
		esac
		shift
	done
	command -v lighttpd >/dev/null || skip "lighttpd is missing (tools/deps.sh installs it)"
	mkdir -p intake/www
	{
		echo '#!/bin/sh'
		echo "INTAKE=\"'$TOP/denki-intake' -c '$PWD/coop.yaml'\""
		if [ -n "$wrap" ]; then
			echo "$wrap"
		else
			echo 'eval exec $INTAKE'
		fi
	} >intake/intake.cgi
	chmod +x intake/intake.cgi
	if [ $tls = 1 ]; then
		[ -f /usr/lib/lighttpd/mod_openssl.so ] ||
		    skip "lighttpd's mod_openssl is missing (apt-get install lighttpd-mod-openssl)"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -days 2 -subj /CN=localhost \
		    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		    -keyout intake/key.pem -out intake/cert.pem 2>/dev/null
		cat intake/key.pem intake/cert.pem >intake/server.pem
		scheme=https
	fi
	for i in 1 2 3 4 5; do
		port=$(free_port)
		{
			echo "server.port = $port"
			echo 'server.bind = "127.0.0.1"'
			echo "server.document-root = \"$PWD/intake/www\""
			echo 'server.modules += ( "mod_alias", "mod_cgi" )'
			echo 'server.errorlog = "/dev/stderr"'
			echo "alias.url += ( \"/intake\" => \"$PWD/intake/intake.cgi\" )"
			echo '$HTTP["url"] =~ "^/intake" { cgi.assign = ( "" => "" ) }'
			if [ $tls = 1 ]; then
				echo 'server.modules += ( "mod_openssl" )'
				echo 'ssl.engine = "enable"'
				echo "ssl.pemfile = \"$PWD/intake/server.pem\""
			fi
			if [ -n "$ca" ]; then
				echo "ssl.verifyclient.ca-file = \"$ca\""
				echo 'ssl.verifyclient.activate = "enable"'
				echo 'ssl.verifyclient.enforce = "enable"'
			fi
		} >intake/lighttpd.conf
		lighttpd -D -f intake/lighttpd.conf </dev/null >/dev/null 2>>intake/httpd.err 3>&- &
		INTAKE_PID=$!
		for j in $(seq 50); do
			# (asking for a client certificate, the server ends
			# curl's handshake: then a connection is the sign)
			if { [ -z "$ca" ] &&
			    curl -sk -o /dev/null "$scheme://127.0.0.1:$port/"; } ||
			    { [ -n "$ca" ] &&
			    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }; then
				IURL="$scheme://127.0.0.1:$port/intake"
				return 0
			fi
			kill -0 "$INTAKE_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_intake
	done
	echo "lighttpd did not start: $(cat intake/httpd.err)" >&2
	return 1
}

stop_intake() {
	if [ -n "$INTAKE_PID" ]; then
		kill "$INTAKE_PID" 2>/dev/null || true
		wait "$INTAKE_PID" 2>/dev/null || true
		INTAKE_PID=
	fi
}


# home_submit ID URL KEY: household ID's home.yaml sends to URL, checks
# receipts against KEY (the intake public key, base64), keeps its outbox
# in ID.outbox
home_submit() {
	printf 'submit:\n  url: %s\n  intake_key: %s\n  outbox: %s.outbox\n' \
	    "$2" "$3" "$1" >>"$1.yaml"
}

# outbox ID STATE: how many lines of ID's outbox are in STATE (0 to send,
# 1 received, 2 rejected)
outbox() {
	sqlite3 "$1.outbox" "SELECT count(*) FROM outbox WHERE state = $2"
}
