// Node socket.io with the same events as bench/baseline.py: `join` enters the room,
// `send` emits `message` to the room (a per-process counter as seq) and acknowledges.
// No moderation, no store, no presence.
//   node bench/node/server.js --port 8002 [--redis redis://127.0.0.1:6390/0]
// With --redis it shares rooms through @socket.io/redis-adapter.
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const port = Number(arg("--port"));
  const redisUrl = arg("--redis");
  let published = 0;
  const httpServer = http.createServer((req, res) => {
    // /stats: pub/sub messages this process published (the adapter's, for the table).
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ received: 0, published }));
  });
  const io = new Server(httpServer, { transports: ["websocket", "polling"] });
  if (redisUrl) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    const publish = pub.publish.bind(pub);
    pub.publish = (...args) => { published += 1; return publish(...args); };
    io.adapter(createAdapter(pub, sub));
  }
  const seqs = new Map();
  io.on("connection", (socket) => {
    let handle = "";
    socket.on("join", (data, ack) => {
      handle = String(data.handle);
      socket.join(`room:${data.room}`);
      ack({ ok: true });
    });
    socket.on("send", (data, ack) => {
      const room = String(data.room);
      const seq = (seqs.get(room) || 0) + 1;
      seqs.set(room, seq);
      const message = {
        room, id: crypto.randomUUID().replaceAll("-", ""), seq,
        member: { id: socket.id, handle, role: "member" },
        text: data.text, ts: new Date().toISOString(),
      };
      io.to(`room:${room}`).emit("message", message);
      ack({ ok: true, message: { id: message.id, seq } });
    });
  });
  httpServer.listen(port, "127.0.0.1", () => console.log(`Running on http://127.0.0.1:${port}`));
  process.on("SIGTERM", () => { io.close(); process.exit(0); });
}

main().catch((error) => { console.error(error); process.exit(1); });
