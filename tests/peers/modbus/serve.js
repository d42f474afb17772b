// serve.js MAP.json PORTFILE: a Modbus TCP server (modbus-serial's
// ServerTCP) on 127.0.0.1, on a free port, serving the holding registers
// of MAP.json and refusing every other address with exception 2 (illegal
// data address), as a device does.  MAP.json:
//   {"unit": 1, "regs": {"40000": 21365, ...}, "busy": false}
// unit: the unit id it answers (255 or absent: any); busy: answer every
// read with exception 6 (server busy).  Once listening it writes its port
// to PORTFILE; it logs each read ("read ADDR COUNT") on stdout.
"use strict";

const fs = require("fs");
const net = require("net");
const { ServerTCP } = require("modbus-serial");

const [mapPath, portFile] = process.argv.slice(2);
if (!mapPath || !portFile) {
	process.stderr.write("usage: node serve.js MAP.json PORTFILE\n");
	process.exit(64);
}
const map = JSON.parse(fs.readFileSync(mapPath, "utf8"));
const regs = new Map();
for (const [a, v] of Object.entries(map.regs || {}))
	regs.set(Number(a), Number(v) & 0xffff);

function refuse(code) {
	const err = new Error("exception " + code);
	err.modbusErrorCode = code;
	return err;
}

function read(addr, n) {
	process.stdout.write(`read ${addr} ${n}\n`);
	if (map.busy)
		throw refuse(6);
	const out = [];
	for (let i = 0; i < n; i++) {
		if (!regs.has(addr + i))
			throw refuse(2);
		out.push(regs.get(addr + i));
	}
	return out;
}

const vector = {
	getHoldingRegister: (addr) => read(addr, 1)[0],
	getMultipleHoldingRegisters: (addr, n) => read(addr, n),
};

// ServerTCP takes a port number (0 would mean 502): ask the system for a
// free one first, and try again if another process takes it meanwhile.
function start(tries) {
	const probe = net.createServer();
	probe.listen(0, "127.0.0.1", () => {
		const port = probe.address().port;
		probe.close(() => {
			const server = new ServerTCP(vector, {
				host: "127.0.0.1", port, unitID: map.unit || 255,
			});
			server.on("serverError", (err) => {
				if (err.code === "EADDRINUSE" && tries > 1)
					return start(tries - 1);
				process.stderr.write(`serve.js: ${err.message}\n`);
				process.exit(69);
			});
			server.on("socketError", () => {});
			server.on("initialized", () => {
				fs.writeFileSync(portFile + ".tmp", `${port}\n`);
				fs.renameSync(portFile + ".tmp", portFile);
			});
		});
	});
}
start(5);
process.on("SIGTERM", () => process.exit(0));
