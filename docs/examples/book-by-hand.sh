#!/usr/bin/env bash
# The worked example of docs/provider.md, "Calling it by hand", with today's dates: on a fresh
# `npm start` it searches Riverside ED's free slots for the next two days, books the first one with
# the standard's example booking (test/fixtures/examples/book-request.json, its slot and dates
# replaced), then reads the appointment back. Run it from the checkout: bash docs/examples/book-by-hand.sh
# ROOT, SERVICE and SLOTBRIDGE (how to run the CLI) may be set to point it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${ROOT:-http://localhost:4000/STU3/1/riverside-ed}
SERVICE=${SERVICE:-2000011001}
SLOTBRIDGE=${SLOTBRIDGE:-node bin/slotbridge.js}

FROM=$(node -p 'new Date().toISOString().slice(0, 19) + "Z"')
TO=$(node -p 'new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 19) + "Z"')
echo "1. free slots at $ROOT from $FROM to $TO" >&2
TOKEN=$($SLOTBRIDGE token --aud "$ROOT" --scope slot)
curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" \
  "$ROOT/Slot?service=$SERVICE&status=free&start=ge$FROM&start=lt$TO&_include=Slot:schedule" > /tmp/slotbridge-slots.json

echo "2. booking the first of them" >&2
node -e '
  const fs = require("node:fs");
  const { randomUUID } = require("node:crypto");
  const slots = JSON.parse(fs.readFileSync("/tmp/slotbridge-slots.json", "utf8"));
  const slot = (slots.entry ?? []).map((e) => e.resource).find((r) => r.resourceType === "Slot");
  if (!slot) { console.error("no free slot in the next two days"); process.exit(1); }
  const body = JSON.parse(fs.readFileSync("test/fixtures/examples/book-request.json", "utf8"));
  const contained = body.contained.find((r) => r.resourceType === "Slot");
  Object.assign(contained, { identifier: slot.identifier, schedule: slot.schedule, start: slot.start, end: slot.end });
  body.contained.find((r) => r.resourceType === "DocumentReference").identifier = [
    { system: "https://tools.ietf.org/html/rfc4122", value: randomUUID() },
  ];
  Object.assign(body, { start: slot.start, end: slot.end });
  fs.writeFileSync("/tmp/slotbridge-booking.json", JSON.stringify(body));
  console.error("   slot " + slot.start + " (" + slot.identifier[0].value + ")");
'
TOKEN=$($SLOTBRIDGE token --aud "$ROOT" --scope write)
curl -sS --fail-with-body -D /tmp/slotbridge-booked.headers -o /tmp/slotbridge-booked.json \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/fhir+json" \
  -H "X-Request-ID: $(node -p 'crypto.randomUUID()')" \
  --data-binary @/tmp/slotbridge-booking.json "$ROOT/Appointment"
LOCATION=$(sed -n 's/^[Ll]ocation: *//p' /tmp/slotbridge-booked.headers | tr -d '\r')
echo "   booked: $LOCATION" >&2

echo "3. reading it back" >&2
TOKEN=$($SLOTBRIDGE token --aud "$ROOT" --scope read)
curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" "${LOCATION%/_history/*}" |
  node -e 'let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
    const a = JSON.parse(t); console.log(`${a.resourceType}/${a.id}: ${a.status}, ${a.start} to ${a.end}`); })'
