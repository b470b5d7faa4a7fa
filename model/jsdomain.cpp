#include "jsdomain.h"
#include "flatjsonreader.h"
#include "scriptwatchdog.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMap>
#include <QJSEngine>
#include <QJSValue>
#include <QJSValueIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace es {

namespace {

using namespace Qt::StringLiterals;

// Stack frames of the host script are skipped when an error is located in the
// pack: an error thrown by ctx.newId() belongs to the pack line that called it.
constexpr QLatin1StringView HostFileName{"eventscope-internal-host.js"};

// Runs in the pack's engine and does the per-call work on the JS side: values
// cross the C++/JS boundary as JSON text and strings only, because building JS
// objects through the QJSValue API costs ~25 us each on Qt 6.4 while
// JSON.parse inside the engine takes ~2 us for a typical event.
const auto HostScript = uR"js(
(function () {
    "use strict";
    // Returned instead of a result when the pack threw: a thrown value need not
    // be an Error, so C++ could not tell it from a result otherwise.
    const FAIL = { failed: true };
    let lastError;

    function isPlainObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
    function describe(v) {
        if (v === undefined) return "undefined";
        if (v === null) return "null";
        if (Array.isArray(v)) return "an array";
        if (typeof v === "object") return "an object";
        return "a " + typeof v;
    }
    function fail(message) { lastError = new Error(message); return FAIL; }
    function nullMap() { return Object.create(null); }

    // Metadata is parsed on first read: evolve handlers rarely look at it and
    // parsing it for every event costs a third of the replay time. The accessor
    // is own and enumerable, so Object.keys, JSON.stringify and Object.assign
    // see an ordinary property.
    const metadataAccessor = {
        get: function () {
            const value = JSON.parse(this.__eventscopeMetadata);
            Object.defineProperty(this, "metadata", { value: value, enumerable: true, writable: true, configurable: true });
            return value;
        },
        set: function (value) {
            Object.defineProperty(this, "metadata", { value: value, enumerable: true, writable: true, configurable: true });
        },
        enumerable: true,
        configurable: true
    };

    function makeEvent(upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion) {
        return makeEventFrom(upcasters, type, JSON.parse(dataText), stream, version, position, recordedAt, metadataText, schemaVersion);
    }
    function makeEventFrom(upcasters, type, data, stream, version, position, recordedAt, metadataText, schemaVersion) {
        const chain = upcasters[type];
        if (chain !== undefined) {
            for (let v = schemaVersion; chain[v] !== undefined; ++v) {
                data = chain[v](data);
                if (!isPlainObject(data))
                    return fail("upcasters." + type + "[" + v + "] returned " + describe(data) + " instead of the event data object");
            }
        }
        // Empty metadata (most events) is made at once: the same own, enumerable,
        // writable property the accessor leaves behind, without two defineProperty
        // calls, which cost more than the rest of the event.
        if (metadataText === "{}")
            return { type: type, data: data, stream: stream, version: version, position: position, recordedAt: recordedAt, metadata: {} };
        const event = { type: type, data: data, stream: stream, version: version, position: position, recordedAt: recordedAt };
        Object.defineProperty(event, "__eventscopeMetadata", { value: metadataText });
        Object.defineProperty(event, "metadata", metadataAccessor);
        return event;
    }

    // ctx is the pack's deterministic source of time and ids. Date.now() and
    // Math.random() still exist in the engine, but a replay or a test would
    // not reproduce what they return.
    function makeContext(actor, now, nowMs, commandId, stream, ids, used) {
        return {
            now: now,
            nowMs: nowMs,
            actor: actor,
            commandId: commandId,
            stream: stream,
            newId: function () {
                if (used.length >= ids.length)
                    throw new Error("ctx.newId(): no ids left (the engine provided " + ids.length + " for this command)");
                const id = ids[used.length];
                used.push(id);
                return id;
            },
            reject: function (reason, fields) {
                return { rejected: true, reason: reason, fields: fields === undefined ? {} : fields };
            }
        };
    }

    // The keys of an event as projectionKeys computes them: an array of strings, or FAIL.
    function keysOf(keyFn, event, name) {
        // key: a function (event) => key(s), or a path into the event ("stream", "data.customer").
        let keys;
        if (keyFn === undefined) keys = event.stream;
        else if (typeof keyFn === "string") keys = keyFn.split(".").reduce(function (v, k) { return v === undefined || v === null ? v : v[k]; }, event);
        else keys = keyFn(event);
        if (keys === null || keys === undefined) return [];
        if (!Array.isArray(keys)) keys = [keys];
        const out = [];
        for (let i = 0; i < keys.length; ++i) {
            const k = keys[i];
            if ((typeof k !== "string" || k === "") && typeof k !== "number")
                return fail("projection " + name + ": key() returned " + describe(k) + " for " + event.type + ", expected a non-empty string, a list of them, or null");
            out.push(String(k));
        }
        return out;
    }

    // The batch of projectionKeysBatch, kept for the projectBatch call that follows it.
    let batch = null;
    // Table projections' rows between batches, by projection name (see projectBatch).
    const tables = nullMap();

    // A table row as C++ would hand it over: the declared columns in the order of
    // the JSON text it writes (sorted names). Rows in a batch are always canonical.
    function copyRow(row, names) {
        const out = {};
        for (let i = 0; i < names.length; ++i) out[names[i]] = row[names[i]];
        return out;
    }
    // Exactly the declared columns, each null or already of its column's type:
    // then the per-event path would store it as it is (see ProjectionWriter::normalise).
    // Globals looked up once: each lookup by name costs a runtime call per use here.
    const objectProto = Object.prototype;
    const getProto = Object.getPrototypeOf;
    const objectKeys = Object.keys;
    const hasOwn = Object.prototype.hasOwnProperty;
    function canonicalRow(row, columns) {
        if (row === null || typeof row !== "object" || getProto(row) !== objectProto) return false;
        if (objectKeys(row).length !== columns.length) return false;
        for (let i = 0; i < columns.length; ++i) {
            const name = columns[i][0];
            if (!hasOwn.call(row, name)) return false;
            const v = row[name];
            if (v === null) continue;
            switch (columns[i][1]) {
            case "text": if (typeof v !== "string") return false; break;
            case "real": if (typeof v !== "number" || !isFinite(v)) return false; break;
            case "integer": if (typeof v !== "number" || !isFinite(v) || Math.floor(v) !== v || Math.abs(v) >= 9.0e15) return false; break;
            default: return false;
            }
        }
        return true;
    }
    function sameRow(a, b, names) {
        if (a === null || b === null) return a === b;
        for (let i = 0; i < names.length; ++i) {
            if (a[names[i]] !== b[names[i]]) return false;
        }
        return true;
    }

    // The event built for projectionKeys, reused by the project calls for the
    // same event that follow it (one parse per event, not one per key).
    let cachedEvent = null;
    let cachedPosition = -1;
    let cachedStream = "";

    return {
        FAIL: FAIL,
        // Text that changes when a part of the pack changes, functions' code
        // included: hot reload reports what changed from these.
        fingerprints: function (pack) {
            const text = function (v) {
                return JSON.stringify(v, function (k, x) { return typeof x === "function" ? String(x) : x; });
            };
            const out = {};
            const aggregates = pack.aggregates || {};
            Object.keys(aggregates).forEach(function (a) {
                const agg = aggregates[a] || {};
                out["aggregate:" + a] = text({ initialState: agg.initialState, evolve: agg.evolve, streamTemplate: agg.streamTemplate });
                const commands = agg.commands || {};
                Object.keys(commands).forEach(function (c) { out["command:" + a + "." + c] = text(commands[c]); });
            });
            const projections = pack.projections || {};
            Object.keys(projections).forEach(function (p) { out["projection:" + p] = text(projections[p]); });
            const reactions = pack.reactions || {};
            Object.keys(reactions).forEach(function (r) { out["reaction:" + r] = text(reactions[r]); });
            out["upcasters:"] = text(pack.upcasters || {});
            return JSON.stringify(out);
        },
        projectionKeys: function (keyFn, handlers, upcasters, type, dataText, stream, version, position, recordedAt, metadataText,
                                  schemaVersion, name) {
            try {
                if (handlers[type] === undefined) return "[]";
                const event = makeEvent(upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion);
                if (event === FAIL) return FAIL;
                cachedEvent = event; cachedPosition = position; cachedStream = stream;
                // key: a function (event) => key(s), or a path into the event ("stream", "data.customer").
                let keys;
                if (keyFn === undefined) keys = stream;
                else if (typeof keyFn === "string") keys = keyFn.split(".").reduce(function (v, k) { return v === undefined || v === null ? v : v[k]; }, event);
                else keys = keyFn(event);
                if (keys === null || keys === undefined) return "[]";
                if (!Array.isArray(keys)) keys = [keys];
                const out = [];
                for (let i = 0; i < keys.length; ++i) {
                    const k = keys[i];
                    if ((typeof k !== "string" || k === "") && typeof k !== "number")
                        return fail("projection " + name + ": key() returned " + describe(k) + " for " + type + ", expected a non-empty string, a list of them, or null");
                    out.push(String(k));
                }
                return JSON.stringify(out);
            } catch (e) { lastError = e; return FAIL; }
        },
        project: function (handlers, upcasters, currentText, type, dataText, stream, version, position, recordedAt, metadataText,
                           schemaVersion, key, name) {
            try {
                const handler = handlers[type];
                if (handler === undefined) return currentText === "" ? "null" : currentText;
                let event = cachedEvent;
                if (event === null || cachedPosition !== position || cachedStream !== stream || event.type !== type) {
                    event = makeEvent(upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion);
                    if (event === FAIL) return FAIL;
                }
                const next = handler(currentText === "" ? null : JSON.parse(currentText), event, key);
                if (next === null) return "null";
                if (!isPlainObject(next))
                    return fail("projection " + name + ": handlers." + type + " returned " + describe(next) + " for key " + key +
                                ": return the next row/document/page object, or null to delete it");
                return JSON.stringify(next);
            } catch (e) { lastError = e; return FAIL; }
        },
        // The keys of a batch of events (one JSON array of [type, stream, version,
        // position, recordedAt, schemaVersion, data] and the metadata texts joined by
        // NUL), as [stoppedAt, the keys of each handled event in order, flattened].
        // The events stay for projectBatch. No dictionary keyed by row keys here: in
        // this engine each new property name of an object costs microseconds, so
        // C++ maps keys to slots (array indices) instead.
        keysBatch: function (keyFn, handlers, upcasters, eventsText, metadataText, maxKeys, name) {
            batch = null;
            let raw;
            try { raw = JSON.parse(eventsText); } catch (e) { lastError = e; return FAIL; }
            const metadata = metadataText.split("\u0000");
            const events = [];
            const keys = [];
            const out = [-1];
            const fnKey = typeof keyFn === "function";
            let stoppedAt = -1;
            for (let i = 0; i < raw.length; ++i) {
                const r = raw[i];
                if (handlers[r[0]] === undefined) { events.push(null); keys.push(null); continue; }
                let k;
                try {
                    const event = makeEventFrom(upcasters, r[0], r[6], r[1], r[2], r[3], r[4], metadata[i], r[5]);
                    if (event === FAIL) {
                        k = FAIL;
                    } else if (fnKey) {
                        // The usual case, one non-empty string, without the arrays of keysOf.
                        k = keyFn(event);
                        if (typeof k !== "string" || k === "") k = keysOf(function () { return k; }, event, name);
                    } else {
                        k = keysOf(keyFn, event, name);
                    }
                    events.push(event);
                } catch (e) { k = FAIL; }
                if (k === FAIL || (typeof k !== "string" && k.length > maxKeys)) { stoppedAt = i; break; }
                if (typeof k === "string") out.push(k);
                else for (let j = 0; j < k.length; ++j) out.push(k[j]);
                keys.push(k);
            }
            lastError = undefined;
            batch = { name: name, events: events, keys: keys };
            out[0] = stoppedAt;
            return JSON.stringify(out);
        },
        // Applies the batch of keysBatch. slotsBuffer (an ArrayBuffer of int32) gives
        // the slot of each key keysBatch returned, in the same order. Rows are kept
        // here by slot between batches of the same session: rowsText ("" or
        // [[slot, row], ...]) brings the rows of slots this engine does not hold yet
        // that exist; a slot without a row is an absent row. A new session (or reset)
        // starts empty. Returns [done, then for each changed row: slot, position, 1 and
        // the values of the columns in declared order, or slot, position, 0 when deleted].
        projectBatch: function (handlers, slotsBuffer, rowsText, columnsText, name, session, reset) {
            const b = batch;
            batch = null;
            if (b === null || b.name !== name) return fail("projectBatch for " + name + " without its keysBatch");
            let t = tables[name];
            if (t === undefined || reset || t.session !== session || t.columnsText !== columnsText) {
                const columns = JSON.parse(columnsText);
                t = {
                    session: session, columnsText: columnsText, columns: columns,
                    order: columns.map(function (c) { return c[0]; }),
                    names: columns.map(function (c) { return c[0]; }).sort(),
                    rows: [], pos: [], stamp: [], epoch: 0
                };
                tables[name] = t;
            }
            const columns = t.columns, names = t.names, order = t.order;
            const rows = t.rows, pos = t.pos, stamp = t.stamp;
            const epoch = ++t.epoch;
            if (rowsText !== "") {
                const supplied = JSON.parse(rowsText);
                for (let i = 0; i < supplied.length; ++i) rows[supplied[i][0]] = supplied[i][1];
            }
            const slots = new Int32Array(slotsBuffer);
            const dirty = [];
            let next = 0; // the next entry of slots
            let done = 0;
            for (let i = 0; i < b.keys.length; ++i) {
                const keys = b.keys[i];
                if (keys !== null) {
                    const event = b.events[i];
                    const handler = handlers[event.type];
                    if (typeof keys === "string") {
                        const slot = slots[next++];
                        let row = rows[slot];
                        if (row === undefined) row = null;
                        let value;
                        try {
                            value = handler(row === null ? null : copyRow(row, names), event, keys);
                        } catch (e) { break; }
                        if (value !== null && !canonicalRow(value, columns)) break;
                        if (!sameRow(value, row, names)) {
                            rows[slot] = value;
                            pos[slot] = event.position;
                            if (stamp[slot] !== epoch) { stamp[slot] = epoch; dirty.push(slot); }
                        }
                    } else if (keys.length > 0) {
                        // The event is atomic: its rows are changed in copies first.
                        const entries = []; // [slot, row, changed]
                        let ok = true;
                        for (let j = 0; j < keys.length; ++j) {
                            const slot = slots[next++];
                            let entry = null;
                            for (let x = 0; x < entries.length; ++x) {
                                if (entries[x][0] === slot) { entry = entries[x]; break; }
                            }
                            if (entry === null) {
                                const row = rows[slot];
                                entry = [slot, row === undefined ? null : row, false];
                                entries.push(entry);
                            }
                            let value;
                            try {
                                value = handler(entry[1] === null ? null : copyRow(entry[1], names), event, keys[j]);
                            } catch (e) { ok = false; break; }
                            if (value !== null && !canonicalRow(value, columns)) { ok = false; break; }
                            if (!sameRow(value, entry[1], names)) { entry[1] = value; entry[2] = true; }
                        }
                        if (!ok) break;
                        for (let j = 0; j < entries.length; ++j) {
                            const e = entries[j];
                            if (!e[2]) continue;
                            rows[e[0]] = e[1];
                            pos[e[0]] = event.position;
                            if (stamp[e[0]] !== epoch) { stamp[e[0]] = epoch; dirty.push(e[0]); }
                        }
                    }
                }
                done = i + 1;
            }
            const out = [done];
            for (let i = 0; i < dirty.length; ++i) {
                const slot = dirty[i];
                const row = rows[slot];
                if (row === null) {
                    out.push(slot, pos[slot], 0);
                } else {
                    out.push(slot, pos[slot], 1);
                    for (let j = 0; j < order.length; ++j) out.push(row[order[j]]);
                }
            }
            return JSON.stringify(out);
        },
        takeError: function () { const e = lastError; lastError = undefined; return e; },
        parse: function (text) { return JSON.parse(text); },
        stringify: function (value) {
            try { return JSON.stringify(value); } catch (e) { lastError = e; return FAIL; }
        },
        // Copies the own function properties into a map without a prototype, so
        // an event type named "constructor" or "toString" finds no handler.
        functionMap: function (object) {
            const map = nullMap();
            Object.keys(object).forEach(function (k) { if (typeof object[k] === "function") map[k] = object[k]; });
            return map;
        },
        upcasterMap: function (upcasters) {
            const map = nullMap();
            Object.keys(upcasters).forEach(function (type) {
                const chain = nullMap();
                Object.keys(upcasters[type]).forEach(function (v) { chain[v] = upcasters[type][v]; });
                map[type] = chain;
            });
            return map;
        },
        // The declarative part of a projection: everything but the handlers.
        definition: function (projection) {
            const out = {};
            Object.keys(projection).forEach(function (k) {
                if (k !== "handlers" && typeof projection[k] !== "function") out[k] = projection[k];
            });
            return JSON.stringify(out);
        },
        initialState: function (init) {
            try {
                const state = typeof init === "function" ? init() : init;
                if (!isPlainObject(state))
                    return fail("initialState " + (typeof init === "function" ? "returned " : "is ") + describe(state) + ", expected an object");
                return JSON.stringify(state);
            } catch (e) { lastError = e; return FAIL; }
        },
        apply: function (handlers, upcasters, state, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion) {
            try {
                const handler = handlers[type];
                if (handler === undefined) return state;
                const event = makeEvent(upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion);
                if (event === FAIL) return FAIL;
                const next = handler(state, event);
                if (!isPlainObject(next))
                    return fail("evolve." + type + " returned " + describe(next) + " instead of the next state object");
                return next;
            } catch (e) { lastError = e; return FAIL; }
        },
        react: function (handle, name, upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion,
                         actor, now, nowMs, commandId, idsText) {
            try {
                const event = makeEvent(upcasters, type, dataText, stream, version, position, recordedAt, metadataText, schemaVersion);
                if (event === FAIL) return FAIL;
                const out = handle(event, makeContext(actor, now, nowMs, commandId, stream, JSON.parse(idsText), []));
                if (out === undefined || out === null) return "[]";
                const list = Array.isArray(out) ? out : [out];
                const commands = [];
                for (let i = 0; i < list.length; ++i) {
                    const c = list[i];
                    if (!isPlainObject(c) || typeof c.command !== "string" || c.command === "")
                        return fail("reaction " + name + " returned a command without a name (index " + i + "): expected { command, stream, data }");
                    const target = c.stream === undefined ? stream : c.stream;
                    if (typeof target !== "string" || target === "")
                        return fail("reaction " + name + " returned command " + c.command + " with a stream that is " + describe(target));
                    const data = c.data === undefined ? {} : c.data;
                    if (!isPlainObject(data))
                        return fail("reaction " + name + " returned command " + c.command + " whose data is " + describe(data) + ", expected an object");
                    commands.push({ command: c.command, stream: target, data: data });
                }
                return JSON.stringify(commands);
            } catch (e) { lastError = e; return FAIL; }
        },
        decide: function (decideFn, stateText, type, stream, commandId, dataText, actor, now, nowMs, idsText) {
            const used = [];
            const ctx = makeContext(actor, now, nowMs, commandId, stream, JSON.parse(idsText), used);
            const command = { type: type, stream: stream, commandId: commandId, data: JSON.parse(dataText) };
            let out;
            try { out = decideFn(JSON.parse(stateText), command, ctx); } catch (e) { lastError = e; return FAIL; }
            try {
                if (isPlainObject(out) && out.rejected === true) {
                    const reason = out.reason === undefined || out.reason === null || out.reason === "" ? "rejected" : String(out.reason);
                    const fields = {};
                    if (out.fields !== undefined && out.fields !== null) {
                        if (!isPlainObject(out.fields))
                            return fail("decide for " + type + " rejected with fields that are " + describe(out.fields) + ", expected { field: message }");
                        Object.keys(out.fields).forEach(function (k) { fields[k] = String(out.fields[k]); });
                    }
                    return JSON.stringify({ accepted: false, reason: reason, fields: fields, used: used });
                }
                let list;
                if (Array.isArray(out)) list = out;
                else if (isPlainObject(out) && typeof out.type === "string") list = [out];
                else return fail("decide for " + type + " returned " + describe(out) +
                                 ": return an event { type, data }, a list of events ([] for none) or ctx.reject(reason)");
                const events = [];
                for (let i = 0; i < list.length; ++i) {
                    const e = list[i];
                    if (!isPlainObject(e) || typeof e.type !== "string" || e.type === "")
                        return fail("decide for " + type + " returned an event without a type (index " + i + ")");
                    const data = e.data === undefined ? {} : e.data;
                    if (!isPlainObject(data))
                        return fail("decide for " + type + " returned event " + e.type + " whose data is " + describe(data) + ", expected an object");
                    events.push({ type: e.type, data: data });
                }
                return JSON.stringify({ accepted: true, events: events, used: used });
            } catch (e) { lastError = e; return FAIL; }
        }
    };
})()
)js";

const QStringList FieldTypes{u"string"_s, u"number"_s,   u"integer"_s, u"boolean"_s,
                             u"enum"_s,   u"datetime"_s, u"object"_s,  u"array"_s};
const QStringList FieldKeys{u"type"_s,        u"required"_s,  u"min"_s,     u"max"_s,
                            u"minLength"_s,   u"maxLength"_s, u"pattern"_s, u"values"_s,
                            u"description"_s, u"examples"_s,  u"secret"_s};
const QStringList ProjectionKinds{u"table"_s, u"search"_s, u"page"_s};

bool isPlainObject(const QJSValue &v)
{
    return v.isObject() && !v.isCallable() && !v.isArray();
}

QString stringProperty(const QJSValue &object, const QString &key)
{
    const QJSValue v = object.property(key);
    return v.isString() ? v.toString() : QString();
}

// The property names in the script's declaration order.
QStringList keysOf(const QJSValue &object)
{
    QStringList keys;
    if (!object.isObject()) {
        return keys;
    }
    QJSValueIterator it(object);
    while (it.hasNext()) {
        it.next();
        keys.append(it.name());
    }
    return keys;
}

QString jsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QJsonObject parseObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

// QDateTime::toString costs ~1 us; this runs once per replayed event.
QString isoUtc(qint64 ms)
{
    const qint64 msPerDay = 86400000;
    qint64 days = ms / msPerDay;
    qint64 msOfDay = ms % msPerDay;
    if (msOfDay < 0) {
        msOfDay += msPerDay;
        --days;
    }
    // Howard Hinnant's civil_from_days.
    const qint64 z = days + 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const qint64 d = doy - (153 * mp + 2) / 5 + 1;
    const qint64 m = mp < 10 ? mp + 3 : mp - 9;
    const qint64 y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    if (y < 0 || y > 9999) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
    }

    char16_t buf[24];
    auto put = [&buf](int at, qint64 value, int width) {
        for (int i = width - 1; i >= 0; --i) {
            buf[at + i] = char16_t(u'0' + value % 10);
            value /= 10;
        }
    };
    put(0, y, 4);
    buf[4] = u'-';
    put(5, m, 2);
    buf[7] = u'-';
    put(8, d, 2);
    buf[10] = u'T';
    put(11, msOfDay / 3600000, 2);
    buf[13] = u':';
    put(14, msOfDay / 60000 % 60, 2);
    buf[16] = u':';
    put(17, msOfDay / 1000 % 60, 2);
    buf[19] = u'.';
    put(20, msOfDay % 1000, 3);
    buf[23] = u'Z';
    return QString(reinterpret_cast<const QChar *>(buf), 24);
}


struct AggregateRuntime {
    QJSValue evolve; // event type -> function, without prototype
    QSet<QString> handled;
    QHash<QString, QJSValue> decide;
    QJsonObject initialState;
};

} // namespace

class JsDomain::Impl {
public:
    Impl(const QString &path, int timeoutMs)
        : m_fileName(QFileInfo(path).fileName())
        , m_timeoutMs(timeoutMs)
        , m_watchdog(&m_engine, timeoutMs)
    {
    }

    // Calls fn under the watchdog. A thrown value, an interruption or a result
    // the host script refused become Error{Script}; context() says what ran.
    template <typename Context> Result<QJSValue> call(const QJSValue &fn, const QJSValueList &args, Context &&context)
    {
        m_watchdog.arm();
        QJSValue result = fn.call(args);
        const bool interrupted = m_watchdog.disarm();
        if (!result.isError() && !result.strictlyEquals(m_fail)) {
            return result;
        }
        return scriptError(result, interrupted, context());
    }

    Error scriptError(const QJSValue &result, bool interrupted, const QString &context)
    {
        QString message;
        if (interrupted && result.isError()) {
            message = m_fileName + u": script interrupted after "_s + QString::number(m_timeoutMs) + u" ms"_s;
        } else {
            const QJSValue thrown = result.strictlyEquals(m_fail) ? m_takeError.call() : result;
            message = describeThrown(thrown);
        }
        if (!context.isEmpty()) {
            message += u" ("_s + context + u')';
        }
        return Error::make(ErrorCode::Script, message);
    }

    QString describeThrown(const QJSValue &thrown) const
    {
        if (!thrown.isError()) {
            return m_fileName + u": uncaught exception: "_s + thrown.toString();
        }
        QString message = thrown.property(u"message"_s).toString();
        const QString name = thrown.property(u"name"_s).toString();
        if (!name.isEmpty() && name != u"Error"_s) {
            message = name + u": "_s + message;
        }
        const int line = packLine(thrown);
        if (line > 0) {
            return m_fileName + u':' + QString::number(line) + u": "_s + message;
        }
        return m_fileName + u": "_s + message;
    }

    // The innermost stack frame that belongs to the pack ("name@url:line").
    static int packLine(const QJSValue &error)
    {
        const QString stack = error.property(u"stack"_s).toString();
        const auto frames = QStringView(stack).split(u'\n', Qt::SkipEmptyParts);
        for (const QStringView frame : frames) {
            if (frame.contains(HostFileName)) {
                continue;
            }
            bool ok = false;
            const int line = frame.mid(frame.lastIndexOf(u':') + 1).toInt(&ok);
            if (ok && line > 0) {
                return line;
            }
        }
        if (!error.property(u"fileName"_s).toString().contains(HostFileName)) {
            return error.property(u"lineNumber"_s).toInt();
        }
        return 0;
    }

    Error structureError(const QString &message) const
    {
        return Error::make(ErrorCode::Script, m_fileName + u": "_s + message);
    }

    Status setUp(const QString &path, const QByteArray &source);
    Status readPack(const QJSValue &pack);
    Status readAggregate(const QString &name, const QJSValue &value);
    Status readFields(const QString &where, const QJSValue &value, QList<FieldSpec> *fields);
    Status readProjections(const QJSValue &value);
    Status readReactions(const QJSValue &value);
    Status readUpcasters(const QJSValue &value);

    Result<QJsonObject> toJsonObject(const QJSValue &value, const QString &context)
    {
        auto text = call(m_stringify, {value}, [&]() -> QString { return context; });
        if (!text) {
            return text.error();
        }
        return parseObject(text->toString());
    }

    QJSEngine m_engine;
    QString m_fileName;
    int m_timeoutMs;
    ScriptWatchdog m_watchdog; // after the engine: stops before the engine goes away
    DomainInfo m_info;
    QHash<QString, AggregateRuntime> m_aggregates;
    QHash<QString, QJSValue> m_reactions; // name -> handle
    struct ProjectionRuntime {
        QJSValue key;      // key(event), or undefined: the stream id
        QJSValue handlers; // event type -> function, without prototype
    };
    QHash<QString, ProjectionRuntime> m_projections;
    QMap<QString, QString> m_fingerprints; // "command:Account.Deposit" -> its text
    QString m_path;
    QByteArray m_source;
    QJSValue m_fingerprintsFn;
    QJSValue m_projectionKeys;
    QJSValue m_project;
    QJSValue m_keysBatch;
    QJSValue m_projectBatch;
    QHash<QString, quint64> m_batchSessions; // projection -> the session whose rows the engine holds
    QHash<QString, int> m_schemaVersions; // event type -> current version, when above 1
    QJSValue m_fail;
    QJSValue m_takeError;
    QJSValue m_parse;
    QJSValue m_stringify;
    QJSValue m_functionMap;
    QJSValue m_apply;
    QJSValue m_decide;
    QJSValue m_react;
    QJSValue m_initialState;
    QJSValue m_definition;
    QJSValue m_upcasterMap;
    QJSValue m_upcasters;
};

Status JsDomain::Impl::setUp(const QString &path, const QByteArray &source)
{
    // console.* only writes to Qt's log: handy while writing a pack, and packs
    // that log still run unchanged in Node. Nothing else is installed: no Qt
    // objects, no file or network access.
    m_engine.installExtensions(QJSEngine::ConsoleExtension);
    // Node's CommonJS wrapper provides `module`; with it a pack that only does
    // `module.exports = pack` works here too.
    QJSValue module = m_engine.newObject();
    module.setProperty(u"exports"_s, m_engine.newObject());
    m_engine.globalObject().setProperty(u"module"_s, module);
    m_engine.globalObject().setProperty(u"exports"_s, module.property(u"exports"_s));

    const QJSValue host = m_engine.evaluate(QString::fromUtf16(HostScript), HostFileName, 1);
    if (host.isError()) {
        return Error::make(ErrorCode::Script, u"internal error in the domain host: "_s + host.toString());
    }
    m_fail = host.property(u"FAIL"_s);
    m_takeError = host.property(u"takeError"_s);
    m_parse = host.property(u"parse"_s);
    m_stringify = host.property(u"stringify"_s);
    m_functionMap = host.property(u"functionMap"_s);
    m_apply = host.property(u"apply"_s);
    m_decide = host.property(u"decide"_s);
    m_react = host.property(u"react"_s);
    m_projectionKeys = host.property(u"projectionKeys"_s);
    m_fingerprintsFn = host.property(u"fingerprints"_s);
    m_project = host.property(u"project"_s);
    m_keysBatch = host.property(u"keysBatch"_s);
    m_projectBatch = host.property(u"projectBatch"_s);
    m_initialState = host.property(u"initialState"_s);
    m_definition = host.property(u"definition"_s);
    m_upcasterMap = host.property(u"upcasterMap"_s);

    m_watchdog.arm();
    QJSValue pack = m_engine.evaluate(QString::fromUtf8(source), QFileInfo(path).absoluteFilePath(), 1);
    const bool interrupted = m_watchdog.disarm();
    if (pack.isError()) {
        return scriptError(pack, interrupted, u"while loading"_s);
    }

    if (!isPlainObject(pack)) {
        const QJSValue exported = m_engine.globalObject().property(u"module"_s).property(u"exports"_s);
        if (isPlainObject(exported) && !keysOf(exported).isEmpty()) {
            pack = exported;
        }
    }
    if (!isPlainObject(pack)) {
        const QString what = pack.isUndefined()  ? u"undefined"_s
                             : pack.isCallable() ? u"a function"_s
                             : pack.isArray()    ? u"an array"_s
                                                 : u"a "_s + (pack.isString()   ? u"string"_s
                                                              : pack.isNumber() ? u"number"_s
                                                              : pack.isBool()   ? u"boolean"_s
                                                                                : u"value"_s);
        return structureError(u"the pack evaluates to "_s + what +
                              u", not an object: end the file with the pack object, "
                              u"e.g. (function () { const pack = {...}; return pack; })();"_s);
    }
    return readPack(pack);
}

Status JsDomain::Impl::readPack(const QJSValue &pack)
{
    m_info.name = stringProperty(pack, u"name"_s);
    if (m_info.name.isEmpty()) {
        return structureError(u"the pack has no name (a non-empty string)"_s);
    }
    const QJSValue version = pack.property(u"version"_s);
    if (!version.isUndefined() && !version.isString()) {
        return structureError(u"version must be a string such as \"1.0.0\""_s);
    }
    m_info.version = version.isString() ? version.toString() : u"0.0.0"_s;
    m_info.description = stringProperty(pack, u"description"_s);

    const QJSValue aggregates = pack.property(u"aggregates"_s);
    if (!isPlainObject(aggregates)) {
        return structureError(u"aggregates must be an object of aggregate definitions"_s);
    }
    const QStringList names = keysOf(aggregates);
    if (names.isEmpty()) {
        return structureError(u"the pack declares no aggregates"_s);
    }
    for (const QString &name : names) {
        if (Status s = readAggregate(name, aggregates.property(name)); !s) {
            return s;
        }
    }
    if (Status s = readProjections(pack.property(u"projections"_s)); !s) {
        return s;
    }
    if (Status s = readReactions(pack.property(u"reactions"_s)); !s) {
        return s;
    }
    if (Status s = readUpcasters(pack.property(u"upcasters"_s)); !s) {
        return s;
    }
    auto prints = call(m_fingerprintsFn, {pack}, []() -> QString { return u"while reading the pack"_s; });
    if (!prints) {
        return prints.error();
    }
    const QJsonObject o = parseObject(prints->toString());
    for (auto it = o.begin(); it != o.end(); ++it) {
        m_fingerprints.insert(it.key(), it.value().toString());
    }
    return {};
}

Status JsDomain::Impl::readAggregate(const QString &name, const QJSValue &value)
{
    const QString where = u"aggregate '"_s + name + u"'"_s;
    if (name.contains(u'.')) {
        return structureError(where +
                              u": the name must not contain '.' (commands are addressed as Aggregate.Command)"_s);
    }
    if (!isPlainObject(value)) {
        return structureError(where + u" must be an object"_s);
    }

    AggregateSpec spec;
    AggregateRuntime runtime;
    spec.name = name;
    spec.description = stringProperty(value, u"description"_s);
    spec.streamTemplate = stringProperty(value, u"streamTemplate"_s);

    QJSValue init = value.property(u"initialState"_s);
    if (init.isUndefined()) {
        init = m_engine.newObject();
    }
    if (!isPlainObject(init) && !init.isCallable()) {
        return structureError(where + u": initialState must be an object or a function returning one"_s);
    }
    auto initial =
        call(m_initialState, {init}, [&]() -> QString { return u"while computing the initial state of "_s + name; });
    if (!initial) {
        return initial.error();
    }
    runtime.initialState = parseObject(initial->toString());

    const QJSValue commands = value.property(u"commands"_s);
    if (!commands.isUndefined() && !isPlainObject(commands)) {
        return structureError(where + u": commands must be an object of command definitions"_s);
    }
    for (const QString &commandName : keysOf(commands)) {
        const QString cwhere = where + u": command '"_s + commandName + u"'"_s;
        if (commandName.contains(u'.')) {
            return structureError(cwhere + u": the name must not contain '.'"_s);
        }
        const QJSValue command = commands.property(commandName);
        if (!isPlainObject(command)) {
            return structureError(cwhere + u" must be an object with a decide function"_s);
        }
        const QJSValue decide = command.property(u"decide"_s);
        if (!decide.isCallable()) {
            return structureError(cwhere + u" has no decide function"_s);
        }
        CommandSpec cs;
        cs.name = commandName;
        cs.aggregate = name;
        cs.description = stringProperty(command, u"description"_s);
        if (Status s = readFields(cwhere, command.property(u"fields"_s), &cs.fields); !s) {
            return s;
        }
        spec.commands.append(cs);
        runtime.decide.insert(commandName, decide);
    }

    const QJSValue evolve = value.property(u"evolve"_s);
    if (!evolve.isUndefined() && !isPlainObject(evolve)) {
        return structureError(where + u": evolve must be an object of EventType: function (state, event)"_s);
    }
    for (const QString &type : keysOf(evolve)) {
        if (!evolve.property(type).isCallable()) {
            return structureError(where + u": evolve."_s + type + u" is not a function"_s);
        }
        spec.eventTypes.append(type);
        runtime.handled.insert(type);
    }
    runtime.evolve = m_functionMap.call({evolve.isUndefined() ? m_engine.newObject() : evolve});

    m_info.aggregates.append(spec);
    m_aggregates.insert(name, runtime);
    return {};
}

Status JsDomain::Impl::readFields(const QString &where, const QJSValue &value, QList<FieldSpec> *fields)
{
    if (value.isUndefined()) {
        return {};
    }
    if (!isPlainObject(value)) {
        return structureError(where + u": fields must be an object of field definitions"_s);
    }
    for (const QString &name : keysOf(value)) {
        const QString fwhere = where + u": field '"_s + name + u"'"_s;
        const QJSValue f = value.property(name);
        if (!isPlainObject(f)) {
            return structureError(fwhere + u" must be an object such as { type: \"string\" }"_s);
        }
        for (const QString &key : keysOf(f)) {
            // Strict, so that a misspelt constraint ("minimum") is not silently ignored.
            if (!FieldKeys.contains(key)) {
                return structureError(fwhere + u" has unknown key '"_s + key + u"' (expected "_s +
                                      FieldKeys.join(u", "_s) + u')');
            }
        }
        FieldSpec spec;
        spec.name = name;
        const QJSValue type = f.property(u"type"_s);
        if (!type.isUndefined()) {
            spec.type = type.toString();
            if (!type.isString() || !FieldTypes.contains(spec.type)) {
                return structureError(fwhere + u" has unknown type '"_s + spec.type + u"' (expected one of "_s +
                                      FieldTypes.join(u", "_s) + u')');
            }
        }
        const QJSValue required = f.property(u"required"_s);
        if (!required.isUndefined() && !required.isBool()) {
            return structureError(fwhere + u": required must be true or false"_s);
        }
        spec.required = required.toBool();
        const QJSValue secret = f.property(u"secret"_s);
        if (!secret.isUndefined() && !secret.isBool()) {
            return structureError(fwhere + u": secret must be true or false"_s);
        }
        spec.secret = secret.toBool();
        const QJSValue examples = f.property(u"examples"_s);
        if (!examples.isUndefined()) {
            if (!examples.isArray()) {
                return structureError(fwhere + u": examples must be an array of sample values"_s);
            }
            auto text = call(m_stringify, {examples}, [&]() -> QString { return u"while reading "_s + fwhere; });
            if (!text) {
                return text.error();
            }
            spec.examples = QJsonDocument::fromJson(text->toString().toUtf8()).array();
        }
        for (const auto &[key, target] : {std::pair{u"min"_s, &spec.min}, std::pair{u"max"_s, &spec.max}}) {
            const QJSValue v = f.property(key);
            if (v.isUndefined()) {
                continue;
            }
            if (!v.isNumber() || !qIsFinite(v.toNumber())) {
                return structureError(fwhere + u": "_s + key + u" must be a number"_s);
            }
            *target = v.toNumber();
        }
        for (const auto &[key, target] :
             {std::pair{u"minLength"_s, &spec.minLength}, std::pair{u"maxLength"_s, &spec.maxLength}}) {
            const QJSValue v = f.property(key);
            if (v.isUndefined()) {
                continue;
            }
            const double n = v.toNumber();
            if (!v.isNumber() || n < 0 || n > std::numeric_limits<int>::max() || n != std::floor(n)) {
                return structureError(fwhere + u": "_s + key + u" must be a non-negative integer"_s);
            }
            *target = int(n);
        }
        const QJSValue pattern = f.property(u"pattern"_s);
        if (!pattern.isUndefined()) {
            if (!pattern.isString()) {
                return structureError(fwhere + u": pattern must be a string (a regular expression)"_s);
            }
            spec.pattern = pattern.toString();
            const QRegularExpression re(spec.pattern);
            if (!re.isValid()) {
                return structureError(fwhere + u" has an invalid pattern: "_s + re.errorString() + u" at offset "_s +
                                      QString::number(re.patternErrorOffset()));
            }
        }
        const QJSValue values = f.property(u"values"_s);
        if (!values.isUndefined()) {
            if (!values.isArray()) {
                return structureError(fwhere + u": values must be an array of strings"_s);
            }
            const int n = values.property(u"length"_s).toInt();
            for (int i = 0; i < n; ++i) {
                const QJSValue v = values.property(quint32(i));
                if (!v.isString()) {
                    return structureError(fwhere + u": values must be an array of strings"_s);
                }
                spec.values.append(v.toString());
            }
        }
        if (spec.type == u"enum"_s && spec.values.isEmpty()) {
            return structureError(fwhere + u" is an enum without values"_s);
        }
        spec.description = stringProperty(f, u"description"_s);
        fields->append(spec);
    }
    return {};
}

Status JsDomain::Impl::readProjections(const QJSValue &value)
{
    if (value.isUndefined()) {
        return {};
    }
    if (!isPlainObject(value)) {
        return structureError(u"projections must be an object of projection definitions"_s);
    }
    for (const QString &name : keysOf(value)) {
        const QString where = u"projection '"_s + name + u"'"_s;
        const QJSValue p = value.property(name);
        if (!isPlainObject(p)) {
            return structureError(where + u" must be an object"_s);
        }
        ProjectionSpec spec;
        spec.name = name;
        spec.kind = stringProperty(p, u"kind"_s);
        if (!ProjectionKinds.contains(spec.kind)) {
            return structureError(where + u": kind must be one of "_s + ProjectionKinds.join(u", "_s));
        }
        const QJSValue handlers = p.property(u"handlers"_s);
        if (!isPlainObject(handlers)) {
            return structureError(where + u": handlers must be an object of EventType: function"_s);
        }
        for (const QString &type : keysOf(handlers)) {
            if (!handlers.property(type).isCallable()) {
                return structureError(where + u": handlers."_s + type + u" is not a function"_s);
            }
            spec.eventTypes.append(type);
        }
        auto definition = call(m_definition, {p}, [&]() -> QString { return u"while reading "_s + where; });
        if (!definition) {
            return definition.error();
        }
        spec.definition = parseObject(definition->toString());
        const QJSValue key = p.property(u"key"_s);
        if (!key.isUndefined() && !key.isCallable() && !key.isString()) {
            return structureError(where + u": key must be a function (event) returning the key(s) it touches, or a "
                                          "path into the event such as \"data.customer\""_s);
        }
        m_projections.insert(name, {key, m_functionMap.call({handlers})});
        m_info.projections.append(spec);
    }
    return {};
}

Status JsDomain::Impl::readReactions(const QJSValue &value)
{
    if (value.isUndefined()) {
        return {};
    }
    if (!isPlainObject(value)) {
        return structureError(u"reactions must be an object of reaction definitions"_s);
    }
    for (const QString &name : keysOf(value)) {
        const QString where = u"reaction '"_s + name + u"'"_s;
        const QJSValue r = value.property(name);
        if (!isPlainObject(r)) {
            return structureError(where + u" must be an object { on: \"EventType\", handle(event, ctx) }"_s);
        }
        ReactionSpec spec;
        spec.name = name;
        spec.eventType = stringProperty(r, u"on"_s);
        if (spec.eventType.isEmpty()) {
            return structureError(where + u" has no 'on' event type"_s);
        }
        const QJSValue handle = r.property(u"handle"_s);
        if (!handle.isCallable()) {
            return structureError(where + u" has no handle function"_s);
        }
        m_info.reactions.append(spec);
        m_reactions.insert(name, handle);
    }
    return {};
}

Status JsDomain::Impl::readUpcasters(const QJSValue &value)
{
    if (value.isUndefined()) {
        m_upcasters = m_upcasterMap.call({m_engine.newObject()});
        return {};
    }
    if (!isPlainObject(value)) {
        return structureError(u"upcasters must be an object of EventType: { version: function (data) }"_s);
    }
    for (const QString &type : keysOf(value)) {
        const QJSValue chain = value.property(type);
        if (!isPlainObject(chain)) {
            return structureError(u"upcasters."_s + type + u" must be an object of version: function (data)"_s);
        }
        for (const QString &version : keysOf(chain)) {
            bool ok = false;
            const int v = version.toInt(&ok);
            if (!ok || v < 1) {
                return structureError(u"upcasters."_s + type + u": '"_s + version +
                                      u"' is not a schema version (a positive integer)"_s);
            }
            if (!chain.property(version).isCallable()) {
                return structureError(u"upcasters."_s + type + u"["_s + version + u"] is not a function"_s);
            }
            m_schemaVersions[type] = std::max(m_schemaVersions.value(type, 1), v + 1);
        }
    }
    m_upcasters = m_upcasterMap.call({value});
    return {};
}

Result<std::unique_ptr<JsDomain>> JsDomain::load(const QString &path, int timeoutMs)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error::make(ErrorCode::Io, u"cannot read domain pack "_s + path + u": "_s + file.errorString());
    }
    const QByteArray source = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        return Error::make(ErrorCode::Io, u"cannot read domain pack "_s + path + u": "_s + file.errorString());
    }

    auto impl = std::make_unique<Impl>(path, timeoutMs);
    if (Status s = impl->setUp(path, source); !s) {
        return s.error();
    }
    impl->m_info.contentHash =
        QString::fromLatin1(QCryptographicHash::hash(source, QCryptographicHash::Sha256).toHex());
    impl->m_info.sourcePath = QFileInfo(path).absoluteFilePath();
    impl->m_path = path;
    impl->m_source = source;
    return std::unique_ptr<JsDomain>(new JsDomain(std::move(impl)));
}

JsDomain::JsDomain(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}

JsDomain::~JsDomain() = default;

const DomainInfo &JsDomain::info() const
{
    return m_impl->m_info;
}

int JsDomain::timeoutMs() const
{
    return m_impl->m_timeoutMs;
}

Result<QJsonObject> JsDomain::initialState(const QString &aggregate)
{
    const auto it = m_impl->m_aggregates.constFind(aggregate);
    if (it == m_impl->m_aggregates.cend()) {
        return Error::make(ErrorCode::NotFound, u"unknown aggregate "_s + aggregate);
    }
    return it->initialState;
}

Result<Decision> JsDomain::decide(const QString &aggregate, const QJsonObject &state, const QString &command,
                                  const QJsonObject &payload, const DecisionContext &ctx)
{
    const auto agg = m_impl->m_aggregates.constFind(aggregate);
    if (agg == m_impl->m_aggregates.cend()) {
        return Error::make(ErrorCode::NotFound, u"unknown aggregate "_s + aggregate);
    }
    const QString name = command.startsWith(aggregate + u'.') ? command.mid(aggregate.size() + 1) : command;
    const auto fn = agg->decide.constFind(name);
    if (fn == agg->decide.cend()) {
        return Error::make(ErrorCode::NotFound, u"aggregate "_s + aggregate + u" has no command "_s + name);
    }

    const QJSValueList args{
        *fn,
        QJSValue(jsonText(state)),
        QJSValue(name),
        QJSValue(ctx.stream),
        QJSValue(ctx.commandId),
        QJSValue(jsonText(payload)),
        QJSValue(ctx.actor),
        QJSValue(isoUtc(ctx.nowMs)),
        QJSValue(double(ctx.nowMs)),
        QJSValue(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(ctx.ids)).toJson(QJsonDocument::Compact)))};
    auto result = m_impl->call(m_impl->m_decide, args, [&]() -> QString {
        return u"while deciding "_s + name + u" on stream "_s + ctx.stream;
    });
    if (!result) {
        return result.error();
    }

    const QJsonObject out = parseObject(result->toString());
    Decision decision;
    decision.accepted = out.value(u"accepted"_s).toBool();
    const QJsonArray used = out.value(u"used"_s).toArray();
    for (const auto &id : used) {
        decision.usedIds.append(id.toString());
    }
    if (decision.accepted) {
        const QJsonArray events = out.value(u"events"_s).toArray();
        for (const auto &e : events) {
            const QJsonObject event = e.toObject();
            decision.events.append({event.value(u"type"_s).toString(), event.value(u"data"_s).toObject()});
        }
    } else {
        decision.reason = out.value(u"reason"_s).toString();
        decision.fieldErrors = out.value(u"fields"_s).toObject();
    }
    return decision;
}

Result<QList<ReactionCommand>> JsDomain::react(const QString &reaction, const RecordedEvent &event,
                                               const DecisionContext &ctx)
{
    const auto handle = m_impl->m_reactions.constFind(reaction);
    if (handle == m_impl->m_reactions.cend()) {
        return Error::make(ErrorCode::NotFound, u"unknown reaction "_s + reaction);
    }
    const QJSValueList args{
        *handle,
        QJSValue(reaction),
        m_impl->m_upcasters,
        QJSValue(event.type),
        QJSValue(event.data.isEmpty() ? u"{}"_s : QString::fromUtf8(event.data)),
        QJSValue(event.stream),
        QJSValue(double(event.version)),
        QJSValue(double(event.position)),
        QJSValue(isoUtc(event.recordedMs)),
        QJSValue(event.metadata.isEmpty() ? u"{}"_s : QString::fromUtf8(event.metadata)),
        QJSValue(event.schemaVersion),
        QJSValue(ctx.actor),
        QJSValue(isoUtc(ctx.nowMs)),
        QJSValue(double(ctx.nowMs)),
        QJSValue(ctx.commandId),
        QJSValue(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(ctx.ids)).toJson(QJsonDocument::Compact)))};
    auto result = m_impl->call(m_impl->m_react, args, [&]() -> QString {
        return u"while reacting to "_s + event.type + u" at position "_s + QString::number(event.position) +
               u" with reaction "_s + reaction;
    });
    if (!result) {
        return result.error();
    }
    QList<ReactionCommand> commands;
    const QJsonArray list = QJsonDocument::fromJson(result->toString().toUtf8()).array();
    for (const auto &c : list) {
        const QJsonObject o = c.toObject();
        commands.append(
            {o.value(u"command"_s).toString(), o.value(u"stream"_s).toString(), o.value(u"data"_s).toObject()});
    }
    return commands;
}

int JsDomain::schemaVersion(const QString &eventType) const
{
    return m_impl->m_schemaVersions.value(eventType, 1);
}

Result<QJsonObject> JsDomain::evolve(const QString &aggregate, const QJsonObject &state, const RecordedEvent &event)
{
    return fold(aggregate, state, EventList{event});
}

Result<QJsonObject> JsDomain::fold(const QString &aggregate, const QJsonObject &state, const EventList &events)
{
    const auto agg = m_impl->m_aggregates.constFind(aggregate);
    if (agg == m_impl->m_aggregates.cend()) {
        return Error::make(ErrorCode::NotFound, u"unknown aggregate "_s + aggregate);
    }

    Impl &d = *m_impl;
    QJSValue current = d.m_parse.call({QJSValue(jsonText(state))});
    bool changed = false;
    const QString emptyObject = u"{}"_s;
    QJSValueList args(11);
    args[0] = agg->evolve;
    args[1] = d.m_upcasters;
    for (const RecordedEvent &event : events) {
        // Unhandled types leave the state as it is; skipping them here saves the call.
        if (!agg->handled.contains(event.type)) {
            continue;
        }
        args[2] = std::move(current); // replaced by the result below: saves copying a persistent handle
        args[3] = QJSValue(event.type);
        args[5] = QJSValue(event.stream);
        args[4] = QJSValue(event.data.isEmpty() ? emptyObject : QString::fromUtf8(event.data));
        args[6] = QJSValue(double(event.version));
        args[7] = QJSValue(double(event.position));
        args[8] = QJSValue(isoUtc(event.recordedMs));
        args[9] = QJSValue(event.metadata.isEmpty() ? emptyObject : QString::fromUtf8(event.metadata));
        args[10] = QJSValue(event.schemaVersion);
        auto next = d.call(d.m_apply, args, [&]() -> QString {
            if (event.position > 0) {
                return u"while applying "_s + event.type + u" at position "_s + QString::number(event.position);
            }
            return u"while applying "_s + event.type + u" to stream "_s + event.stream + u" version "_s +
                   QString::number(event.version);
        });
        if (!next) {
            return next.error();
        }
        current = std::move(next).value();
        changed = true;
    }
    if (!changed) {
        return state;
    }
    return d.toJsonObject(current, u"while converting the state of "_s + aggregate + u" to JSON"_s);
}

} // namespace es

namespace es {

namespace {
QJSValueList eventArgs(const RecordedEvent &event)
{
    const QString emptyObject = u"{}"_s;
    return {QJSValue(event.type),
            QJSValue(event.data.isEmpty() ? emptyObject : QString::fromUtf8(event.data)),
            QJSValue(event.stream),
            QJSValue(double(event.version)),
            QJSValue(double(event.position)),
            QJSValue(isoUtc(event.recordedMs)),
            QJSValue(event.metadata.isEmpty() ? emptyObject : QString::fromUtf8(event.metadata)),
            QJSValue(event.schemaVersion)};
}
} // namespace

Result<QStringList> JsDomain::projectionKeys(const QString &projection, const RecordedEvent &event)
{
    Impl &d = *m_impl;
    const auto it = d.m_projections.constFind(projection);
    if (it == d.m_projections.cend())
        return Error::make(ErrorCode::NotFound, u"the pack has no projection "_s + projection);
    QJSValueList args{it->key, it->handlers, d.m_upcasters};
    args += eventArgs(event);
    args << QJSValue(projection);
    auto result = d.call(d.m_projectionKeys, args, [&]() -> QString {
        return u"while projecting "_s + event.type + u" at position "_s + QString::number(event.position) +
               u" into "_s + projection;
    });
    if (!result)
        return result.error();
    QStringList keys;
    const QJsonArray list = QJsonDocument::fromJson(result->toString().toUtf8()).array();
    for (const auto &k : list)
        keys << k.toString();
    return keys;
}

namespace {
// A JSON string literal.
void appendJsonString(QByteArray *out, const QByteArray &utf8)
{
    out->append('"');
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out->append("\\\"");
            break;
        case '\\':
            out->append("\\\\");
            break;
        default:
            if (uchar(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(uchar(c)));
                out->append(buf);
            } else {
                out->append(c);
            }
        }
    }
    out->append('"');
}
} // namespace

bool JsDomain::canProjectBatch() const
{
    return true;
}

Result<ProjectionKeyBatch> JsDomain::projectionKeysBatch(const QString &projection, const RecordedEvent *events,
                                                         qsizetype count, qsizetype maxKeysPerEvent)
{
    Impl &d = *m_impl;
    const auto it = d.m_projections.constFind(projection);
    if (it == d.m_projections.cend())
        return Error::make(ErrorCode::NotFound, u"the pack has no projection "_s + projection);
    // One JSON text for the whole batch, parsed in one go inside the engine: the
    // payloads go in as the JSON text they are stored as.
    QByteArray text;
    text.reserve(count * 256);
    QString metadata;
    text.append('[');
    for (qsizetype i = 0; i < count; ++i) {
        const RecordedEvent &e = events[i];
        if (i > 0) {
            text.append(',');
            metadata.append(QChar(0));
        }
        text.append('[');
        appendJsonString(&text, e.type.toUtf8());
        text.append(',');
        appendJsonString(&text, e.stream.toUtf8());
        text.append(',');
        text.append(QByteArray::number(e.version));
        text.append(',');
        text.append(QByteArray::number(e.position));
        text.append(",\"");
        text.append(isoUtc(e.recordedMs).toLatin1());
        text.append("\",");
        text.append(QByteArray::number(e.schemaVersion));
        text.append(',');
        text.append(e.data.isEmpty() ? QByteArray("{}") : e.data);
        text.append(']');
        metadata.append(e.metadata.isEmpty() ? u"{}"_s : QString::fromUtf8(e.metadata));
    }
    text.append(']');
    const QJSValueList args{it->key,
                            it->handlers,
                            d.m_upcasters,
                            QJSValue(QString::fromUtf8(text)),
                            QJSValue(metadata),
                            QJSValue(int(maxKeysPerEvent)),
                            QJSValue(projection)};
    auto result = d.call(d.m_keysBatch, args, [&]() -> QString {
        return u"while computing the keys of %1 events for "_s.arg(count) + projection;
    });
    if (!result)
        return result.error();
    const QByteArray out = result->toString().toUtf8();
    FlatJsonReader reader(out);
    ProjectionKeyBatch batch;
    if (!reader.next() || reader.kind() != FlatJsonReader::Kind::Number)
        return Error::make(ErrorCode::Script, u"internal error: the keys of a batch for %1 are unreadable"_s.arg(
                                                  projection));
    batch.stoppedAt = qsizetype(reader.number());
    batch.keys.reserve(count);
    while (reader.next())
        batch.keys.append(reader.string().toByteArray());
    if (reader.failed())
        return Error::make(ErrorCode::Script, u"internal error: the keys of a batch for %1 are unreadable"_s.arg(
                                                  projection));
    return batch;
}

Result<ProjectionBatchResult> JsDomain::projectBatch(const QString &projection, const QByteArray &slotIds,
                                                     const QByteArray &rows, const QJsonArray &columns,
                                                     quint64 session, bool reset)
{
    Impl &d = *m_impl;
    const auto it = d.m_projections.constFind(projection);
    if (it == d.m_projections.cend())
        return Error::make(ErrorCode::NotFound, u"the pack has no projection "_s + projection);
    // Whatever happens now, the engine holds this session's rows only if the call succeeds.
    d.m_batchSessions.remove(projection);
    // The slots go in as an ArrayBuffer (an Int32Array inside): no parsing.
    const QJSValueList args{it->handlers,
                            d.m_engine.toScriptValue(slotIds),
                            QJSValue(QString::fromUtf8(rows)),
                            QJSValue(QString::fromUtf8(QJsonDocument(columns).toJson(QJsonDocument::Compact))),
                            QJSValue(projection),
                            QJSValue(double(session)),
                            QJSValue(reset)};
    auto result = d.call(d.m_projectBatch, args, [&]() -> QString { return u"while projecting into "_s + projection; });
    if (!result)
        return result.error();
    ProjectionBatchResult r;
    r.changes = result->toString().toUtf8();
    // The first value is the number of events done; the caller reads the rest.
    const qsizetype comma = r.changes.indexOf(',');
    bool ok = false;
    r.done = r.changes.mid(1, (comma < 0 ? r.changes.size() - 1 : comma) - 1).trimmed().toLongLong(&ok);
    if (!ok || !r.changes.startsWith('['))
        return Error::make(ErrorCode::Script, u"internal error: the result of a batch for %1 is unreadable"_s.arg(
                                                  projection));
    d.m_batchSessions.insert(projection, session);
    return r;
}

bool JsDomain::holdsBatchRows(const QString &projection, quint64 session) const
{
    const auto it = m_impl->m_batchSessions.constFind(projection);
    return it != m_impl->m_batchSessions.cend() && *it == session;
}

Result<QJsonValue> JsDomain::project(const QString &projection, const QJsonValue &current, const RecordedEvent &event,
                                     const QString &key)
{
    Impl &d = *m_impl;
    const auto it = d.m_projections.constFind(projection);
    if (it == d.m_projections.cend())
        return Error::make(ErrorCode::NotFound, u"the pack has no projection "_s + projection);
    const QString currentText = current.isObject()
        ? QString::fromUtf8(QJsonDocument(current.toObject()).toJson(QJsonDocument::Compact))
        : QString();
    QJSValueList args{it->handlers, d.m_upcasters, QJSValue(currentText)};
    args += eventArgs(event);
    args << QJSValue(key) << QJSValue(projection);
    auto result = d.call(d.m_project, args, [&]() -> QString {
        return u"while projecting "_s + event.type + u" at position "_s + QString::number(event.position) +
               u" into "_s + projection + u" key "_s + key;
    });
    if (!result)
        return result.error();
    const QByteArray text = result->toString().toUtf8();
    if (text == "null")
        return QJsonValue(QJsonValue::Null);
    return QJsonValue(QJsonDocument::fromJson(text).object());
}

} // namespace es

namespace es {

namespace {

// The engine cannot print a function's code (V4 answers "[native code]"), so
// changed code is found in the source text: a line diff, with each changed
// line named by the keys that enclose it ("commands" > "Deposit" > "decide"),
// read off the indentation of a well-formatted pack.
QStringList changedSections(const QByteArray &before, const QByteArray &after)
{
    const QList<QByteArray> a = before.split('\n');
    const QList<QByteArray> b = after.split('\n');
    const qsizetype n = a.size(), m = b.size();
    if (n * m > 25'000'000)
        return {u"the pack's code"_s};
    // Longest common subsequence, to tell which lines of the new text are new.
    std::vector<std::vector<int>> lcs(size_t(n + 1), std::vector<int>(size_t(m + 1), 0));
    for (qsizetype i = n - 1; i >= 0; --i)
        for (qsizetype j = m - 1; j >= 0; --j)
            lcs[size_t(i)][size_t(j)] = a[i] == b[j] ? lcs[size_t(i + 1)][size_t(j + 1)] + 1
                                                     : std::max(lcs[size_t(i + 1)][size_t(j)], lcs[size_t(i)][size_t(j + 1)]);
    QList<qsizetype> changedLines; // in the new text; a deletion marks the line after it
    qsizetype i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] == b[j]) {
            ++i;
            ++j;
        } else if (j < m && (i >= n || lcs[size_t(i)][size_t(j + 1)] >= lcs[size_t(i + 1)][size_t(j)])) {
            changedLines << j++;
        } else {
            changedLines << qMin(j, m - 1);
            ++i;
        }
    }
    static const QRegularExpression keyLine(uR"(^(\s*)["']?([A-Za-z_$][\w$]*)["']?\s*(:|\())"_s);
    QList<QPair<int, QString>> stack;
    QList<QStringList> paths(m);
    for (qsizetype k = 0; k < m; ++k) {
        const QString line = QString::fromUtf8(b[k]);
        const auto match = keyLine.match(line);
        if (match.hasMatch() && line.contains(u'{')) {
            const int indent = int(match.capturedLength(1));
            while (!stack.isEmpty() && stack.constLast().first >= indent)
                stack.removeLast();
            stack.append({indent, match.captured(2)});
        }
        for (const auto &entry : std::as_const(stack))
            paths[k] << entry.second;
    }
    static const QRegularExpression packScalar(uR"(^\s*(name|version|description)\s*:)"_s);
    QStringList out;
    for (qsizetype line : std::as_const(changedLines)) {
        const QStringList &path = paths.value(line);
        if (packScalar.match(QString::fromUtf8(b.value(line))).hasMatch())
            continue; // reported from the declarations
        QString section = u"the pack's helpers"_s;
        for (const char *kind : {"commands", "evolve", "projections", "reactions", "upcasters"}) {
            const qsizetype at = path.indexOf(QLatin1StringView(kind));
            if (at < 0)
                continue;
            const QString owner = at > 0 ? path.at(at - 1) : QString();
            const QString name = at + 1 < path.size() ? path.at(at + 1) : QString();
            if (qstrcmp(kind, "commands") == 0 && !name.isEmpty())
                section = u"command %1.%2"_s.arg(owner, name);
            else if (qstrcmp(kind, "evolve") == 0)
                section = u"evolve of %1"_s.arg(owner);
            else if (qstrcmp(kind, "projections") == 0 && !name.isEmpty())
                section = u"projection %1"_s.arg(name);
            else if (qstrcmp(kind, "reactions") == 0 && !name.isEmpty())
                section = u"reaction %1"_s.arg(name);
            else if (qstrcmp(kind, "upcasters") == 0)
                section = u"upcasters"_s;
            break;
        }
        if (!out.contains(section))
            out << section;
    }
    return out;
}

} // namespace

Result<QString> JsDomain::reload()
{
    auto fresh = load(m_impl->m_path, m_impl->m_timeoutMs);
    if (!fresh)
        return fresh.error(); // the loaded pack stays in use
    const QMap<QString, QString> &before = m_impl->m_fingerprints;
    const QMap<QString, QString> &after = (*fresh)->m_impl->m_fingerprints;
    QStringList added, removed, changed;
    auto label = [](const QString &key) -> QString {
        const qsizetype colon = key.indexOf(u':');
        return key.left(colon) + u' ' + key.mid(colon + 1);
    };
    for (auto it = after.cbegin(); it != after.cend(); ++it) {
        if (!before.contains(it.key()))
            added << label(it.key());
        else if (before.value(it.key()) != it.value())
            changed << label(it.key());
    }
    for (auto it = before.cbegin(); it != before.cend(); ++it)
        if (!after.contains(it.key()))
            removed << label(it.key());
    QStringList parts;
    const DomainInfo &oldInfo = m_impl->m_info;
    const DomainInfo &newInfo = (*fresh)->m_impl->m_info;
    if (oldInfo.version != newInfo.version)
        parts << u"version %1 → %2"_s.arg(oldInfo.version, newInfo.version);
    if (oldInfo.contentHash != newInfo.contentHash) {
        // Declarations are compared above; code is compared as text.
        for (const QString &section : changedSections(m_impl->m_source, (*fresh)->m_impl->m_source)) {
            const QString removedLabel = section;
            if (!changed.contains(section) && !added.contains(section) && !removed.contains(removedLabel))
                changed << section;
        }
    }
    if (!changed.isEmpty())
        parts << u"changed: "_s + changed.join(u", "_s);
    if (!added.isEmpty())
        parts << u"added: "_s + added.join(u", "_s);
    if (!removed.isEmpty())
        parts << u"removed: "_s + removed.join(u", "_s);
    if (parts.isEmpty())
        parts << (oldInfo.contentHash == newInfo.contentHash ? u"no change"_s
                                                              : u"no change to aggregates, commands, projections or "
                                                                "reactions (comments or helpers only)"_s);
    m_impl = std::move((*fresh)->m_impl);
    return parts.join(u"; "_s);
}

} // namespace es
