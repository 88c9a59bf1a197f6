// Reads an iCalendar feed on stdin and prints, for each parser, every instance of
// every VEVENT from FROM to TO (epoch ms, argv[2] and argv[3]) as JSON:
// {"ical.js": [{uid, start, end}], "node-ical": [...]}, times in epoch ms.
// ical.js knows no zones but UTC, so its times come from the feed's VTIMEZONEs.
import ICAL from "ical.js";
import nodeIcal from "node-ical";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");
const from = Number(process.argv[2]);
const to = Number(process.argv[3]);

function icalJs() {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const out = [];
  for (const vevent of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      const start = details.startDate.toJSDate().getTime();
      if (start > to) break;
      if (start >= from) {
        out.push({ uid: event.uid, start, end: details.endDate.toJSDate().getTime() });
      }
    }
  }
  return out;
}

function nodeIcalInstances() {
  const parsed = nodeIcal.sync.parseICS(text);
  const out = [];
  for (const event of Object.values(parsed)) {
    if (event.type !== "VEVENT") continue;
    const instances = nodeIcal.expandRecurringEvent(event, {
      from: new Date(from), to: new Date(to),
    });
    for (const instance of instances) {
      out.push({ uid: event.uid, start: instance.start.getTime(), end: instance.end.getTime() });
    }
  }
  return out;
}

process.stdout.write(JSON.stringify({ "ical.js": icalJs(), "node-ical": nodeIcalInstances() }));
