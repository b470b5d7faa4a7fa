#include "blame.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace es {

QString jsonChildPath(const QString &parentPath, const QString &key, bool arrayIndex)
{
    if (arrayIndex)
        return parentPath + u'[' + key + u']';
    static const QRegularExpression identifier(u"^[A-Za-z_$][A-Za-z0-9_$]*$"_s);
    if (!identifier.match(key).hasMatch()) {
        const QString quoted = QString::fromUtf8(QJsonDocument(QJsonArray{key}).toJson(QJsonDocument::Compact));
        return parentPath + u'[' + quoted.mid(1).chopped(1) + u']';
    }
    return parentPath.isEmpty() ? key : parentPath + u'.' + key;
}

QString changeKindName(PathChange::Kind kind)
{
    switch (kind) {
    case PathChange::Added:
        return u"added"_s;
    case PathChange::Removed:
        return u"removed"_s;
    case PathChange::Changed:
        break;
    }
    return u"changed"_s;
}

namespace {

void diffInto(const QString &path, const QJsonValue &before, const QJsonValue &after, QList<PathChange> *out)
{
    if (before == after)
        return;
    if (before.isObject() && after.isObject()) {
        const QJsonObject b = before.toObject();
        const QJsonObject a = after.toObject();
        for (auto it = a.constBegin(); it != a.constEnd(); ++it) {
            const QString child = jsonChildPath(path, it.key(), false);
            if (!b.contains(it.key()))
                out->append({child, PathChange::Added, {}, it.value()});
            else
                diffInto(child, b.value(it.key()), it.value(), out);
        }
        for (auto it = b.constBegin(); it != b.constEnd(); ++it) {
            if (!a.contains(it.key()))
                out->append({jsonChildPath(path, it.key(), false), PathChange::Removed, it.value(), {}});
        }
        return;
    }
    if (before.isArray() && after.isArray()) {
        const QJsonArray b = before.toArray();
        const QJsonArray a = after.toArray();
        for (qsizetype i = 0; i < qMax(a.size(), b.size()); ++i) {
            const QString child = jsonChildPath(path, QString::number(i), true);
            if (i >= b.size())
                out->append({child, PathChange::Added, {}, a.at(i)});
            else if (i >= a.size())
                out->append({child, PathChange::Removed, b.at(i), {}});
            else
                diffInto(child, b.at(i), a.at(i), out);
        }
        return;
    }
    out->append({path, before.isUndefined() ? PathChange::Added : PathChange::Changed, before, after});
}

} // namespace

QList<PathChange> diffStates(const QJsonValue &before, const QJsonValue &after)
{
    QList<PathChange> out;
    diffInto({}, before, after, &out);
    return out;
}

void BlameIndex::clear()
{
    m_changes.clear();
    m_events.clear();
}

void BlameIndex::add(const RecordedEvent &event, const QJsonValue &before, const QJsonValue &after)
{
    BlameEntry e;
    e.version = event.version;
    e.position = event.position;
    e.eventType = event.type;
    e.recordedMs = event.recordedMs;
    e.actor = event.metadataObject().value(meta::Actor).toString();
    m_events.insert(event.version, e);
    mark({}, before, after, event.version);
}

void BlameIndex::record(const QString &path, qint64 version)
{
    if (path.isEmpty())
        return;
    QList<qint64> &versions = m_changes[path];
    if (versions.isEmpty() || versions.constLast() != version)
        versions.append(version);
}

void BlameIndex::markAll(const QString &path, const QJsonValue &value, qint64 version)
{
    record(path, version);
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            markAll(jsonChildPath(path, it.key(), false), it.value(), version);
    } else if (value.isArray()) {
        const QJsonArray a = value.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            markAll(jsonChildPath(path, QString::number(i), true), a.at(i), version);
    }
}

void BlameIndex::mark(const QString &path, const QJsonValue &before, const QJsonValue &after, qint64 version)
{
    if (before == after)
        return;
    record(path, version);
    if (before.isObject() && after.isObject()) {
        const QJsonObject b = before.toObject();
        const QJsonObject a = after.toObject();
        for (auto it = a.constBegin(); it != a.constEnd(); ++it)
            mark(jsonChildPath(path, it.key(), false), b.value(it.key()), it.value(), version);
        for (auto it = b.constBegin(); it != b.constEnd(); ++it) {
            if (!a.contains(it.key()))
                record(jsonChildPath(path, it.key(), false), version);
        }
    } else if (before.isArray() && after.isArray()) {
        const QJsonArray b = before.toArray();
        const QJsonArray a = after.toArray();
        for (qsizetype i = 0; i < qMax(a.size(), b.size()); ++i) {
            const QString child = jsonChildPath(path, QString::number(i), true);
            if (i < a.size())
                mark(child, i < b.size() ? b.at(i) : QJsonValue(QJsonValue::Undefined), a.at(i), version);
            else
                record(child, version);
        }
    } else {
        // A new shape or a new value: everything under it was set by this event.
        markAll(path, after, version);
    }
}

BlameEntry BlameIndex::blame(const QString &path, qint64 atVersion) const
{
    const auto it = m_changes.constFind(path);
    if (it == m_changes.cend() || it->isEmpty())
        return {};
    const QList<qint64> &versions = *it;
    qint64 found = 0;
    if (atVersion < 0) {
        found = versions.constLast();
    } else {
        auto pos = std::upper_bound(versions.cbegin(), versions.cend(), atVersion);
        if (pos == versions.cbegin())
            return {};
        found = *(pos - 1);
    }
    return m_events.value(found, BlameEntry{found, 0, {}, 0, {}});
}

} // namespace es
