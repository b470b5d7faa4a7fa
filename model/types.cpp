#include "types.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace es {

QJsonObject RecordedEvent::dataObject() const
{
    return QJsonDocument::fromJson(data).object();
}

QJsonObject RecordedEvent::metadataObject() const
{
    return QJsonDocument::fromJson(metadata).object();
}

QString RecordedEvent::recordedIso() const
{
    return recorded().toString(Qt::ISODateWithMs);
}

QJsonObject RecordedEvent::toJson() const
{
    return QJsonObject{
        {u"position"_s, position},
        {u"stream"_s, stream},
        {u"version"_s, version},
        {u"type"_s, type},
        {u"eventId"_s, eventId},
        {u"recordedAt"_s, recordedIso()},
        {u"schemaVersion"_s, schemaVersion},
        {u"data"_s, dataObject()},
        {u"metadata"_s, metadataObject()},
        {u"hash"_s, QString::fromLatin1(hash)},
    };
}

QString ExpectedVersion::toString() const
{
    switch (kind) {
    case Any:
        return u"any version"_s;
    case NoStream:
        return u"no stream"_s;
    case Exact:
        break;
    }
    return u"version %1"_s.arg(version);
}

QJsonObject StageTimings::toJson() const
{
    return QJsonObject{{u"validateUs"_s, validateUs},
                       {u"loadUs"_s, loadUs},
                       {u"decideUs"_s, decideUs},
                       {u"appendUs"_s, appendUs},
                       {u"publishUs"_s, publishUs}};
}

StageTimings StageTimings::fromJson(const QJsonObject &o)
{
    StageTimings t;
    t.validateUs = o.value(u"validateUs"_s).toInteger();
    t.loadUs = o.value(u"loadUs"_s).toInteger();
    t.decideUs = o.value(u"decideUs"_s).toInteger();
    t.appendUs = o.value(u"appendUs"_s).toInteger();
    t.publishUs = o.value(u"publishUs"_s).toInteger();
    return t;
}

QString outcomeName(CommandOutcome o)
{
    switch (o) {
    case CommandOutcome::Accepted:
        return u"accepted"_s;
    case CommandOutcome::Rejected:
        return u"rejected"_s;
    case CommandOutcome::Conflict:
        return u"conflict"_s;
    case CommandOutcome::Failed:
        break;
    }
    return u"failed"_s;
}

QJsonObject CommandRecord::toJson() const
{
    QJsonObject o{{u"commandId"_s, commandId},
                  {u"type"_s, type},
                  {u"aggregate"_s, aggregate},
                  {u"stream"_s, stream},
                  {u"payload"_s, payload},
                  {u"metadata"_s, metadata},
                  {u"outcome"_s, outcomeName(outcome)},
                  {u"timings"_s, timings.toJson()},
                  {u"recordedAt"_s,
                   QDateTime::fromMSecsSinceEpoch(recordedMs, Qt::UTC).toString(Qt::ISODateWithMs)}};
    if (!reason.isEmpty())
        o.insert(u"reason"_s, reason);
    if (!fieldErrors.isEmpty())
        o.insert(u"fieldErrors"_s, fieldErrors);
    if (firstPosition > 0) {
        o.insert(u"firstPosition"_s, firstPosition);
        o.insert(u"lastPosition"_s, lastPosition);
    }
    if (expectedVersion >= 0)
        o.insert(u"expectedVersion"_s, expectedVersion);
    if (actualVersion >= 0)
        o.insert(u"actualVersion"_s, actualVersion);
    return o;
}

} // namespace es
