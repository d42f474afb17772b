#!/bin/sh
# The witness as a CGI program: a web server gives a CGI program no
# arguments, so this wrapper holds its options.  Paths are examples.
exec denki-witness -k /etc/denki/witness.key -s /var/lib/denki/witness.db \
    -p /etc/denki/log.pub -n witness.example.org/w1
