#!/usr/bin/env node
// Eventscope domain-pack harness for Node.js.
//
// Runs a domain pack exactly as Eventscope does (validate the declared fields,
// decide, evolve, upcast), so a domain can be unit-tested with plain Node,
// without Eventscope. Two modes:
//
//   node harness.js PACK.js CASES.json        given/when/then cases; exit 1 when one fails
//   node harness.js PACK.js --sequence FILE   run a JSON Lines command sequence and print
//                                             the final state of every stream as JSON
//
// It is also a module: require("./harness.js") gives loadPack, validate,
// decide, evolve, fold, runCase and runSequence for your own test runner.
"use strict";

const fs = require("fs");
const path = require("path");

function loadPack(file) {
    const resolved = path.resolve(file);
    delete require.cache[resolved];
    const pack = require(resolved);
    if (!pack || typeof pack !== "object" || !pack.aggregates)
        throw new Error(file + ": a domain pack must evaluate to an object with aggregates");
    return pack;
}

function findCommand(pack, name) {
    const dot = name.indexOf(".");
    const matches = [];
    for (const aggName of Object.keys(pack.aggregates)) {
        if (dot >= 0 && name.slice(0, dot) !== aggName) continue;
        const cmdName = dot >= 0 ? name.slice(dot + 1) : name;
        const commands = pack.aggregates[aggName].commands || {};
        if (Object.prototype.hasOwnProperty.call(commands, cmdName))
            matches.push({ aggregate: aggName, name: cmdName, spec: commands[cmdName] });
    }
    if (matches.length === 0) throw new Error("unknown command " + name);
    if (matches.length > 1) throw new Error("ambiguous command " + name + ": use Aggregate." + name);
    return matches[0];
}

function isIsoDate(s) {
    return typeof s === "string" && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) &&
        !isNaN(Date.parse(s));
}

// The same rules as Eventscope's validator; returns { field: message }.
function validate(spec, data) {
    const errors = {};
    const fields = spec.fields || {};
    data = data || {};
    for (const key of Object.keys(data))
        if (!Object.prototype.hasOwnProperty.call(fields, key)) errors[key] = "unknown field";
    for (const name of Object.keys(fields)) {
        const f = fields[name];
        const v = data[name];
        if (v === undefined || v === null || v === "") {
            if (f.required) errors[name] = "required";
            continue;
        }
        const type = f.type || "string";
        const len = type === "string" && typeof v === "string" ? v.length
            : type === "array" && Array.isArray(v) ? v.length : undefined;
        const unit = type === "array" ? " items" : " characters";
        if (type === "string" && typeof v !== "string") errors[name] = "must be a string";
        else if (type === "number" && typeof v !== "number") errors[name] = "must be a number";
        else if (type === "integer" && (typeof v !== "number" || !Number.isInteger(v))) errors[name] = "must be an integer";
        else if (type === "boolean" && typeof v !== "boolean") errors[name] = "must be true or false";
        else if (type === "enum" && (f.values || []).indexOf(v) < 0) errors[name] = "must be one of " + (f.values || []).join(", ");
        else if (type === "datetime" && !isIsoDate(v)) errors[name] = "must be an ISO 8601 date-time";
        else if (type === "object" && (typeof v !== "object" || Array.isArray(v))) errors[name] = "must be an object";
        else if (type === "array" && !Array.isArray(v)) errors[name] = "must be an array";
        else if (typeof v === "number" && f.min !== undefined && v < f.min) errors[name] = "must be at least " + f.min;
        else if (typeof v === "number" && f.max !== undefined && v > f.max) errors[name] = "must be at most " + f.max;
        else if (len !== undefined && f.minLength !== undefined && len < f.minLength) errors[name] = "must have at least " + f.minLength + unit;
        else if (len !== undefined && f.maxLength !== undefined && len > f.maxLength) errors[name] = "must have at most " + f.maxLength + unit;
        else if (type === "string" && f.pattern && !new RegExp("^(?:" + f.pattern + ")$").test(v)) errors[name] = "must match " + f.pattern;
    }
    return errors;
}

function initialState(pack, aggregate) {
    const init = pack.aggregates[aggregate].initialState;
    const value = typeof init === "function" ? init() : init;
    return JSON.parse(JSON.stringify(value === undefined ? {} : value));
}

function makeContext(ctx, commandId, stream) {
    const ids = (ctx.ids || []).slice();
    const used = [];
    const nowMs = ctx.nowMs !== undefined ? ctx.nowMs : Date.parse(ctx.now || "2026-01-01T00:00:00.000Z");
    return {
        now: new Date(nowMs).toISOString(),
        nowMs: nowMs,
        actor: ctx.actor || "",
        commandId: commandId || "",
        stream: stream || "",
        newId() {
            if (ids.length === 0) throw new Error("ctx.newId(): no more ids for this command");
            const id = ids.shift();
            used.push(id);
            return id;
        },
        reject(reason, fields) { return { rejected: true, reason: String(reason), fields: fields || {} }; },
        usedIds: used,
    };
}

// The current schema version of an event type: one past its highest upcaster.
function schemaVersion(pack, type) {
    const chain = (pack.upcasters || {})[type];
    if (!chain) return 1;
    return Object.keys(chain).reduce((m, k) => Math.max(m, Number(k) + 1), 1);
}

function upcast(pack, event) {
    const chain = (pack.upcasters || {})[event.type];
    if (!chain) return event;
    let version = event.schemaVersion || 1;
    let data = event.data;
    while (typeof chain[version] === "function") {
        data = chain[version](data);
        version += 1;
    }
    return Object.assign({}, event, { data: data, schemaVersion: version });
}

function evolve(pack, aggregate, state, event) {
    event = upcast(pack, Object.assign({ data: {}, metadata: {} }, event));
    const handler = (pack.aggregates[aggregate].evolve || {})[event.type];
    if (typeof handler !== "function") return state;
    const next = handler(JSON.parse(JSON.stringify(state)), event);
    if (!next || typeof next !== "object" || Array.isArray(next))
        throw new Error("evolve " + event.type + " must return the next state as an object");
    return JSON.parse(JSON.stringify(next));
}

function fold(pack, aggregate, state, events) {
    return events.reduce((s, e) => evolve(pack, aggregate, s, e), state);
}

// Returns { accepted, events } or { accepted: false, reason, fields, stage }.
function decide(pack, commandName, stream, state, data, ctx, commandId) {
    const cmd = findCommand(pack, commandName);
    const errors = validate(cmd.spec, data);
    if (Object.keys(errors).length)
        return { accepted: false, stage: "validate", reason: "invalid command", fields: errors, aggregate: cmd.aggregate };
    const context = makeContext(ctx || {}, commandId, stream);
    const command = { type: cmd.name, stream: stream, commandId: commandId || "", data: data || {} };
    const result = cmd.spec.decide(JSON.parse(JSON.stringify(state)), command, context);
    if (result && result.rejected === true)
        return { accepted: false, stage: "decide", reason: result.reason, fields: result.fields || {}, aggregate: cmd.aggregate };
    if (result === undefined || result === null)
        throw new Error("decide for " + cmd.name + " returned " + result + ": return an event, a list of events ([] for none) or ctx.reject(reason)");
    const events = Array.isArray(result) ? result : [result];
    events.forEach((e) => {
        if (!e || typeof e.type !== "string" || !e.type)
            throw new Error("decide " + cmd.name + " returned an event without a type");
    });
    return { accepted: true, aggregate: cmd.aggregate,
             events: events.map((e) => ({ type: e.type, data: JSON.parse(JSON.stringify(e.data || {})),
                                          schemaVersion: schemaVersion(pack, e.type) })) };
}

function deepEqual(a, b) {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v) {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object")
        return Object.keys(v).sort().reduce((o, k) => { o[k] = sortKeys(v[k]); return o; }, {});
    return v;
}

// One given/when/then case. Returns null when it passes, else a message.
function runCase(pack, c) {
    const stream = c.stream || "test-stream";
    const cmd = findCommand(pack, c.when.command);
    let state = initialState(pack, cmd.aggregate);
    (c.given || []).forEach((e, i) => {
        state = evolve(pack, cmd.aggregate, state, Object.assign(
            { stream: stream, version: i + 1, position: i + 1, recordedAt: "2026-01-01T00:00:00.000Z", metadata: {} }, e));
    });
    const outcome = decide(pack, c.when.command, stream, state, c.when.data, c.when.ctx || {}, c.when.commandId);
    if (c.thenRejected !== undefined) {
        if (outcome.accepted) return "expected a rejection containing \"" + c.thenRejected + "\", got events " + JSON.stringify(outcome.events);
        const text = outcome.reason + " " + JSON.stringify(outcome.fields);
        if (text.indexOf(c.thenRejected) < 0) return "rejected with \"" + text + "\", expected it to contain \"" + c.thenRejected + "\"";
        return null;
    }
    if (!outcome.accepted) return "rejected: " + outcome.reason + " " + JSON.stringify(outcome.fields);
    const produced = outcome.events.map((e) => ({ type: e.type, data: e.data }));
    if (c.then !== undefined && !deepEqual(produced, c.then))
        return "events differ:\n  expected " + JSON.stringify(c.then) + "\n  actual   " + JSON.stringify(produced);
    if (c.thenState !== undefined) {
        const version = (c.given || []).length;
        const after = fold(pack, cmd.aggregate, state, outcome.events.map((e, i) => Object.assign(
            { stream: stream, version: version + i + 1, position: version + i + 1, recordedAt: "2026-01-01T00:00:00.000Z", metadata: {} }, e)));
        if (!deepEqual(after, c.thenState))
            return "state differs:\n  expected " + JSON.stringify(c.thenState) + "\n  actual   " + JSON.stringify(after);
    }
    return null;
}

// Runs commands in order: each line { command, stream, data, ctx: { nowMs, actor, ids }, commandId }.
// Returns { streams: { id: { aggregate, version, state } }, outcomes: [ "accepted" | "rejected" ] }.
function runSequence(pack, commands) {
    const streams = {};
    const outcomes = [];
    for (const c of commands) {
        const cmd = findCommand(pack, c.command);
        const entry = streams[c.stream] || { aggregate: cmd.aggregate, version: 0, state: initialState(pack, cmd.aggregate) };
        if (entry.aggregate !== cmd.aggregate) { outcomes.push("rejected"); continue; }
        const outcome = decide(pack, c.command, c.stream, entry.state, c.data, c.ctx || {}, c.commandId);
        if (!outcome.accepted) { outcomes.push("rejected"); continue; }
        outcome.events.forEach((e, i) => {
            entry.state = evolve(pack, cmd.aggregate, entry.state, Object.assign(
                { stream: c.stream, version: entry.version + i + 1, position: 0, recordedAt: new Date(c.ctx && c.ctx.nowMs || 0).toISOString(), metadata: {} }, e));
        });
        entry.version += outcome.events.length;
        if (outcome.events.length) streams[c.stream] = entry;
        outcomes.push("accepted");
    }
    return { streams: streams, outcomes: outcomes };
}

module.exports = { loadPack, findCommand, validate, initialState, evolve, fold, decide, upcast, schemaVersion, runCase,
                   runSequence };

if (require.main === module) {
    const args = process.argv.slice(2);
    if (args.length < 2) {
        console.error("usage: node harness.js PACK.js CASES.json | node harness.js PACK.js --sequence FILE.jsonl");
        process.exit(2);
    }
    const pack = loadPack(args[0]);
    if (args[1] === "--sequence") {
        const lines = fs.readFileSync(args[2], "utf8").split("\n").filter((l) => l.trim());
        process.stdout.write(JSON.stringify(runSequence(pack, lines.map((l) => JSON.parse(l))), null, 1) + "\n");
        process.exit(0);
    }
    const cases = JSON.parse(fs.readFileSync(args[1], "utf8"));
    let failed = 0;
    for (const c of cases) {
        let problem;
        try { problem = runCase(pack, c); } catch (e) { problem = "threw " + (e && e.stack || e); }
        if (problem) { failed += 1; console.log("FAIL " + c.name + "\n  " + problem); }
        else console.log("ok   " + c.name);
    }
    console.log("cases: " + (cases.length - failed) + " ok, " + failed + " failing");
    process.exit(failed ? 1 : 0);
}
