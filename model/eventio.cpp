#include "eventio.h"

#include "eventstore.h"
#include "identifiers.h"

#include <QDateTime>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

using namespace Qt::StringLiterals;

namespace es::eventio {

Result<qint64> exportEvents(EventStore &store, qint64 fromPosition, QIODevice &out,
                            const std::function<bool(qint64)> &progress)
{
    // Stream types are looked up once per stream, not once per event.
    QHash<QString, QString> types;
    qint64 written = 0;
    bool cancelled = false;
    Error writeError;
    auto st = store.scan(fromPosition, [&](const RecordedEvent &e) {
        auto it = types.find(e.stream);
        if (it == types.end())
            it = types.insert(e.stream, store.streamInfo(e.stream).value_or(StreamInfo{}).type);
        QJsonObject o = e.toJson();
        o.insert(u"streamType"_s, *it);
        QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact);
        line += '\n';
        if (out.write(line) != line.size()) {
            writeError = Error::make(ErrorCode::Io, u"cannot write the export: %1"_s.arg(out.errorString()));
            return false;
        }
        ++written;
        if (progress && (written & 0xfff) == 0 && !progress(written)) {
            cancelled = true;
            return false;
        }
        return true;
    });
    if (!st)
        return st.error();
    if (writeError.code != ErrorCode::None)
        return writeError;
    if (cancelled)
        return Error::make(ErrorCode::Cancelled, u"export cancelled"_s);
    return written;
}

namespace {

// Integers beyond this are not exact in a JSON number read as a double.
constexpr double MaxExactInteger = 9007199254740991.0;

bool isHexDigest(const QByteArray &hash)
{
    if (hash.size() != 64)
        return false;
    return std::all_of(hash.cbegin(), hash.cend(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A positive integer (up to 2^53 - 1), or -1.
qint64 positiveInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return -1;
    const double d = v.toDouble();
    if (d < 1 || d > MaxExactInteger || d != std::floor(d))
        return -1;
    return qint64(d);
}

Result<ImportedEvent> parseLine(const QByteArray &line, int lineNo)
{
    auto bad = [lineNo](const QString &why) {
        return Error::make(ErrorCode::Invalid, u"line %1: %2"_s.arg(lineNo).arg(why));
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
    if (pe.error != QJsonParseError::NoError)
        return bad(u"malformed JSON at column %1: %2"_s.arg(pe.offset + 1).arg(pe.errorString()));
    if (!doc.isObject())
        return bad(u"expected a JSON object"_s);
    const QJsonObject o = doc.object();
    ImportedEvent ie;
    ie.line = lineNo;
    RecordedEvent &e = ie.event;
    // Identifiers must be strings that are valid identifiers (identifiers.h): a
    // lone surrogate, say, would be stored changed and the hash would no longer match.
    auto identifier = [&o](const char *key, identifiers::Kind kind, bool optional, QString *out) -> QString {
        const QJsonValue v = o.value(QLatin1StringView(key));
        if (v.isUndefined() && !optional)
            return u"missing \"%1\""_s.arg(QLatin1StringView(key));
        if (v.isUndefined())
            return {};
        if (!v.isString())
            return u"\"%1\" must be a string"_s.arg(QLatin1StringView(key));
        *out = v.toString();
        if (optional && out->isEmpty())
            return {};
        return identifiers::problem(kind, *out);
    };
    for (const auto &[key, kind, optional, out] :
         {std::tuple{"stream", identifiers::Kind::StreamId, false, &e.stream},
          std::tuple{"type", identifiers::Kind::EventType, false, &e.type},
          std::tuple{"eventId", identifiers::Kind::EventId, false, &e.eventId},
          std::tuple{"streamType", identifiers::Kind::StreamType, true, &ie.streamType}}) {
        if (const QString why = identifier(key, kind, optional, out); !why.isEmpty())
            return bad(why);
    }
    e.version = positiveInteger(o.value(u"version"_s));
    if (e.version < 1)
        return bad(u"\"version\" must be a positive integer"_s);
    const QJsonValue position = o.value(u"position"_s);
    if (!position.isUndefined()) {
        e.position = positiveInteger(position);
        if (e.position < 1)
            return bad(u"\"position\" must be a positive integer"_s);
    }
    const QJsonValue recordedAt = o.value(u"recordedAt"_s);
    const QString recorded = recordedAt.toString();
    const QDateTime at = QDateTime::fromString(recorded, Qt::ISODateWithMs);
    if (!recordedAt.isString() || !at.isValid())
        return bad(u"\"recordedAt\" is not an ISO 8601 time: \"%1\""_s.arg(recorded));
    e.recordedMs = at.toMSecsSinceEpoch();
    const QJsonValue schema = o.value(u"schemaVersion"_s);
    if (!schema.isUndefined()) {
        const qint64 v = positiveInteger(schema);
        if (v < 1 || v > std::numeric_limits<int>::max())
            return bad(u"\"schemaVersion\" must be a positive integer (1 for events never upcast)"_s);
        e.schemaVersion = int(v);
    }
    if (!o.value(u"data"_s).isObject())
        return bad(u"\"data\" must be a JSON object"_s);
    const QJsonValue md = o.value(u"metadata"_s);
    if (!md.isUndefined() && !md.isObject())
        return bad(u"\"metadata\" must be a JSON object"_s);
    e.data = QJsonDocument(o.value(u"data"_s).toObject()).toJson(QJsonDocument::Compact);
    e.metadata = QJsonDocument(md.toObject()).toJson(QJsonDocument::Compact);
    const QJsonValue hash = o.value(u"hash"_s);
    if (!hash.isUndefined()) {
        e.hash = hash.toString().toLatin1();
        if (!hash.isString() || !isHexDigest(e.hash))
            return bad(u"\"hash\" must be a SHA-256 digest (64 lowercase hexadecimal digits)"_s);
        if (e.position < 1)
            return bad(u"an event with a \"hash\" needs its \"position\" (the hash covers it)"_s);
    }
    return ie;
}

// The file's own hash chain: each line's hash must be that of its content and
// the previous line's hash, whatever positions the lines claim (positions are
// part of what is hashed), so that an edited, removed, inserted or renumbered
// line is found wherever the file is imported. The first line's link to the
// event before it can only be checked by the store it continues (when the
// positions meet, EventStore::importEvents checks it against its head); a first
// line at position 1 has no event before it. Either every line has a hash or none.
Status checkChain(const ImportedEvent &ie, const ImportedEvent *previous, const ImportedEvent &first)
{
    const RecordedEvent &e = ie.event;
    auto bad = [&ie](const QString &why) {
        return Error::make(ErrorCode::Invalid, u"line %1: %2"_s.arg(ie.line).arg(why));
    };
    if (e.hash.isEmpty() != first.event.hash.isEmpty()) {
        return bad(
            e.hash.isEmpty()
                ? u"the event has no \"hash\", but line %1 has one: hashes were removed from the export"_s.arg(
                      first.line)
                : u"the event has a \"hash\", but line %1 has none: a file's lines all have hashes or none"_s.arg(
                      first.line));
    }
    if (e.hash.isEmpty())
        return {};
    QByteArray previousHash;
    if (previous)
        previousHash = previous->event.hash;
    else if (e.position != 1)
        return {};
    if (EventStore::computeHash(previousHash, e) == e.hash)
        return {};
    QString why = u"the hash of event %1 (position %2) does not match its content"_s.arg(e.eventId).arg(e.position);
    if (previous) {
        why += u" and the hash of line %1"_s.arg(previous->line);
        if (e.position != previous->event.position + 1)
            why += u" (position %1 follows position %2: lines were removed, inserted or renumbered)"_s.arg(e.position)
                       .arg(previous->event.position);
    }
    return bad(why + u": the export was altered"_s);
}

} // namespace

Result<qint64> importEvents(EventStore &store, QIODevice &in)
{
    QList<ImportedEvent> events;
    QSet<QString> ids;
    int lineNo = 0;
    while (!in.atEnd()) {
        QByteArray line = in.readLine();
        ++lineNo;
        if (line.trimmed().isEmpty())
            continue;
        auto parsed = parseLine(line, lineNo);
        if (!parsed)
            return parsed.error();
        if (ids.contains(parsed->event.eventId))
            return Error::make(ErrorCode::Invalid, u"line %1: event id %2 appears twice in the file"_s.arg(lineNo).arg(
                                                       parsed->event.eventId));
        if (auto st = checkChain(*parsed, events.isEmpty() ? nullptr : &events.constLast(),
                                 events.isEmpty() ? *parsed : events.constFirst());
            !st)
            return st.error();
        ids.insert(parsed->event.eventId);
        events.append(std::move(*parsed));
    }
    // One transaction: nothing is written unless every line is.
    return store.importEvents(events);
}

} // namespace es::eventio
