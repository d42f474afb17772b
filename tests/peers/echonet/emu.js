// An ECHONET Lite node for denki's tests, run by npm echonet-lite 2.16.2:
// node emu.js PORT DEVICES.json
// DEVICES.json maps EOJs to their properties in hex, lowercase EPCs:
//   {"028801": {"e0": "0001e240", "e1": "01", ...}, "027901": {...}}
// A property not listed is answered with Get_SNA (PDC 0) by the library.
// A SetC (0x61) to a storage battery (027dxx) is answered here: Set_Res
// when every property is one the battery lists (DA only 41 to 46), the
// value kept (DA copied to CF); else SetC_SNA, the refused ones echoed.
// "_refuse": ["eb"] refuses those EPCs, "_late_ms": N answers a SetC N ms
// late; each SetC is logged on stdout: "set 027d01 eb=000007d0 da=42 ok".
// (Not the library's replySetDetail: its SetC_SNA echoes a refused EDT as
// one number, parseInt(edt, 16), which Buffer.from cuts to one byte, so
// a refused 4-byte EDT comes back as PDC 4 and 1 byte: a broken frame.)
// The library binds 0.0.0.0:PORT (hard-coded address, meters.md 4.2) and
// answers to PORT of the asker from PORT+20000; v4 '127.0.0.1' keeps its
// sends, the start-up INF D5 too, on the loopback interface.
'use strict';
const fs = require('fs');
const EL = require('echonet-lite');

const port = parseInt(process.argv[2], 10);
const devs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const details = {}, opts = {};
for (const eoj of Object.keys(devs)) {
	details[eoj] = {};
	opts[eoj] = {};
	for (const epc of Object.keys(devs[eoj])) {
		if (epc[0] === '_') {
			opts[eoj][epc] = devs[eoj][epc];
			continue;
		}
		details[eoj][epc.toLowerCase()] =
		    Buffer.from(devs[eoj][epc], 'hex').toJSON().data;
	}
}

function setc(rinfo, els) {
	const dev = details[els.DEOJ], opt = opts[els.DEOJ] || {};
	const out = [], said = [];
	let ok = true, opc = 0;

	if (!dev)
		return;
	for (const epc of Object.keys(els.DETAILs)) {
		const edt = els.DETAILs[epc], b = Buffer.from(edt, 'hex');
		const good = !(opt._refuse || []).includes(epc) &&
		    dev[epc] !== undefined &&
		    (epc !== 'da' || /^4[1-6]$/.test(edt));
		if (good) {
			dev[epc] = b.toJSON().data;
			if (epc === 'da' && dev.cf !== undefined)
				dev.cf = dev.da;
			out.push(parseInt(epc, 16), 0);
		} else {
			ok = false;
			out.push(parseInt(epc, 16), b.length, ...b);
		}
		said.push(epc + '=' + edt);
		opc++;
	}
	process.stdout.write('set ' + els.DEOJ + ' ' + said.join(' ') +
	    (ok ? ' ok' : ' refused') + '\n');
	const arr = [0x10, 0x81, ...EL.toHexArray(els.TID),
	    ...EL.toHexArray(els.DEOJ), ...EL.toHexArray(els.SEOJ),
	    ok ? 0x71 : 0x51, opc, ...out];
	if (opt._late_ms)
		setTimeout(() => EL.sendArray(rinfo, arr), opt._late_ms);
	else
		EL.sendArray(rinfo, arr);
}

EL.EL_port = port;
EL.initialize(Object.keys(devs), (rinfo, els, err) => {
	if (err || !els || els.DEOJ.substr(0, 4) === '0ef0')
		return;		// the node profile is answered by the library
	if (els.ESV === EL.GET)
		EL.replyGetDetail(rinfo, els, details);
	else if (els.ESV === EL.SETC && els.DEOJ.substr(0, 4) === '027d')
		setc(rinfo, els);
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
