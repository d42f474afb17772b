// An ECHONET Lite node for denki's tests, run by npm echonet-lite 2.16.2:
// node emu.js PORT DEVICES.json
// DEVICES.json maps EOJs to their properties in hex, lowercase EPCs:
//   {"028801": {"e0": "0001e240", "e1": "01", ...}, "027901": {...}}
// A property not listed is answered with Get_SNA (PDC 0) by the library.
// The library binds 0.0.0.0:PORT (hard-coded address, meters.md 4.2) and
// answers to PORT of the asker from PORT+20000; v4 '127.0.0.1' keeps its
// sends, the start-up INF D5 too, on the loopback interface.
'use strict';
const fs = require('fs');
const EL = require('echonet-lite');

const port = parseInt(process.argv[2], 10);
const devs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const details = {};
for (const eoj of Object.keys(devs)) {
	details[eoj] = {};
	for (const epc of Object.keys(devs[eoj]))
		details[eoj][epc.toLowerCase()] =
		    Buffer.from(devs[eoj][epc], 'hex').toJSON().data;
}

EL.EL_port = port;
EL.initialize(Object.keys(devs), (rinfo, els, err) => {
	if (err || !els || els.DEOJ.substr(0, 4) === '0ef0')
		return;		// the node profile is answered by the library
	if (els.ESV === EL.GET)
		EL.replyGetDetail(rinfo, els, details);
}, 4, { v4: '127.0.0.1', ignoreMe: false, autoGetProperties: false,
    debugMode: false }).then(() => {
	const wait = () => {
		try {
			EL.sock4.address();
			process.stdout.write('ready ' + port + '\n');
		} catch (e) {
			setTimeout(wait, 20);
		}
	};
	wait();
});
process.on('SIGTERM', () => { EL.release(); process.exit(0); });
