// The load client for bench/compare.py: every member as a socket.io-client in one
// Node process (far cheaper per received message than Python clients, so the
// servers, not the clients, are what saturates). Driven like bench/load.py: one
// word per stdin line, one JSON line back per step.
//   join           connect (websocket) + join every member, 50 at a time
//   soak SECONDS RATE
//                  open loop: each room's sender sends RATE messages/s for SECONDS;
//                  answers sent, acknowledged, delivered (within a grace period),
//                  expected, latency p50/p99, client CPU seconds
//   quit
// argv[2]: JSON {rooms: [{room, urls, members, senders}], text_length}
"use strict";
const readline = require("node:readline");
const { io } = require("socket.io-client");

const spec = JSON.parse(process.argv[2]);
const BATCH = 50;
const MARK = "bench x";
const members = [];
const senders = [];
for (const room of spec.rooms) {
  for (let i = 0; i < room.members; i += 1) {
    const member = { room: room.room, handle: `m${String(i).padStart(4, "0")}`,
                     url: room.urls[i % room.urls.length], socket: null };
    members.push(member);
    if (i < room.senders) senders.push(member);
  }
}
const roomSize = new Map();
for (const m of members) roomSize.set(m.room, (roomSize.get(m.room) || 0) + 1);
let latencies = [];
let deliveries = 0;

function onMessage(data) {
  const text = data && data.text;
  if (typeof text !== "string" || !text.startsWith(MARK)) return;
  const sent = Number(BigInt(`0x${text.slice(MARK.length, text.indexOf(" ", MARK.length))}`));
  latencies.push((nowNs() - sent) / 1e6);
  deliveries += 1;
}

function nowNs() {
  return Number(process.hrtime.bigint());
}

function call(socket, event, payload) {
  return socket.timeout(10000).emitWithAck(event, payload).then((answer) => {
    if (!answer || !answer.ok) throw new Error(`${event}: ${JSON.stringify(answer)}`);
    return answer;
  });
}

function connect(member) {
  return new Promise((resolve, reject) => {
    const socket = io(member.url, { transports: ["websocket"], reconnection: false,
                                    auth: { device: null }, forceNew: true });
    member.socket = socket;
    socket.on("message", onMessage);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  }).then((socket) => call(socket, "join", { room: member.room, handle: member.handle }));
}

async function join() {
  const started = performance.now();
  for (let i = 0; i < members.length; i += BATCH) {
    await Promise.all(members.slice(i, i + BATCH).map(connect));
  }
  return { members: members.length, join_s: (performance.now() - started) / 1000 };
}

function percentile(sorted, fraction) {
  if (!sorted.length) return null;
  return sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1];
}

function cpu() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

async function soak(seconds, rate) {
  latencies = [];
  const before = deliveries;
  const cpuBefore = cpu();
  const filler = "x".repeat(Math.max(0, spec.text_length - 40));
  let sent = 0;
  let acked = 0;
  const errors = {};
  const expectedByRoom = new Map();
  const interval = 1000 / rate;
  const started = performance.now();
  const end = started + seconds * 1000;
  const pending = [];
  await Promise.all(senders.map((member, n) => new Promise((resolve) => {
    let next = started + Math.random() * interval;
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        k += 1;
        sent += 1;
        const text = `${MARK}${nowNs().toString(16)} s${n}k${k} ${filler}`.slice(0, spec.text_length);
        pending.push(call(member.socket, "send", { room: member.room, text,
                                                   client_id: `s${n}-${k}-${rate}` })
          .then(() => {
            acked += 1;
            expectedByRoom.set(member.room, (expectedByRoom.get(member.room) || 0) + 1);
          })
          .catch((error) => { errors[String(error.message).slice(0, 60)] = 1 + (errors[String(error.message).slice(0, 60)] || 0); }));
        next += interval;
      }
      if (next >= end) { resolve(); return; }
      setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  })));
  const sendEnd = performance.now();
  await Promise.all(pending);
  let expected = 0;
  for (const [room, count] of expectedByRoom) expected += count * roomSize.get(room);
  // What arrives within 2 s of the last send counts; the rest is loss.
  const graceEnd = sendEnd + 2000;
  while (deliveries - before < expected && performance.now() < graceEnd) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const got = deliveries - before;
  const sorted = latencies.slice().sort((a, b) => a - b);
  return { sent, acked, deliveries: got, expected, wall_s: (sendEnd - started) / 1000,
           latency_ms: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
           client_cpu_s: cpu() - cpuBefore, errors };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const [word, ...args] = line.trim().split(/\s+/);
  let result;
  try {
    if (word === "join") result = await join();
    else if (word === "soak") result = await soak(Number(args[0]), Number(args[1]));
    else if (word === "leave") {
      for (const m of members) if (m.socket) m.socket.disconnect();
      result = { left: members.length };
    } else if (word === "quit") {
      for (const m of members) if (m.socket) m.socket.disconnect();
      process.exit(0);
    } else result = { error: `unknown step ${word}` };
  } catch (error) {
    result = { error: `${word}: ${error && error.message}` };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
