#include "eventio.h"

#include "eventstore.h"

#include <QDateTime>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

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
    auto str = [&o](const char *key) { return o.value(QLatin1StringView(key)).toString(); };
    e.stream = str("stream");
    e.type = str("type");
    e.eventId = str("eventId");
    ie.streamType = str("streamType");
    if (e.stream.isEmpty())
        return bad(u"missing \"stream\""_s);
    if (e.type.isEmpty())
        return bad(u"missing \"type\""_s);
    if (e.eventId.isEmpty())
        return bad(u"missing \"eventId\""_s);
    const QJsonValue version = o.value(u"version"_s);
    if (!version.isDouble() || version.toDouble() < 1 || version.toDouble() != double(version.toInteger()))
        return bad(u"\"version\" must be a positive integer"_s);
    e.version = version.toInteger();
    e.position = o.value(u"position"_s).toInteger();
    const QString recorded = str("recordedAt");
    const QDateTime at = QDateTime::fromString(recorded, Qt::ISODateWithMs);
    if (!at.isValid())
        return bad(u"\"recordedAt\" is not an ISO 8601 time: \"%1\""_s.arg(recorded));
    e.recordedMs = at.toMSecsSinceEpoch();
    e.schemaVersion = o.value(u"schemaVersion"_s).toInt(1);
    if (!o.value(u"data"_s).isObject())
        return bad(u"\"data\" must be a JSON object"_s);
    const QJsonValue md = o.value(u"metadata"_s);
    if (!md.isUndefined() && !md.isObject())
        return bad(u"\"metadata\" must be a JSON object"_s);
    e.data = QJsonDocument(o.value(u"data"_s).toObject()).toJson(QJsonDocument::Compact);
    e.metadata = QJsonDocument(md.toObject()).toJson(QJsonDocument::Compact);
    e.hash = str("hash").toLatin1();
    return ie;
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
        ids.insert(parsed->event.eventId);
        events.append(std::move(*parsed));
    }
    return store.importEvents(events);
}

} // namespace es::eventio
