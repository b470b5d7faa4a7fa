#include "asof.h"

#include "eventstore.h"
#include "projectionrunner.h"
#include "readstore.h"
#include "sqliteerror.h"

#include <QSqlError>
#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// The pack as buildAsOf sees it, reporting each event it reaches and
// turning a cancellation into an error that stops the build.
class ProgressDomain final : public Domain {
public:
    ProgressDomain(Domain *inner, std::function<bool(qint64)> reached)
        : m_inner(inner)
        , m_reached(std::move(reached))
    {
    }
    const DomainInfo &info() const override { return m_inner->info(); }
    Result<QJsonObject> initialState(const QString &aggregate) override { return m_inner->initialState(aggregate); }
    Result<Decision> decide(const QString &aggregate, const QJsonObject &state, const QString &command,
                            const QJsonObject &payload, const DecisionContext &ctx) override
    {
        return m_inner->decide(aggregate, state, command, payload, ctx);
    }
    Result<QJsonObject> evolve(const QString &aggregate, const QJsonObject &state, const RecordedEvent &event) override
    {
        return m_inner->evolve(aggregate, state, event);
    }
    Result<QJsonObject> fold(const QString &aggregate, const QJsonObject &state, const EventList &events) override
    {
        return m_inner->fold(aggregate, state, events);
    }
    Result<QList<ReactionCommand>> react(const QString &reaction, const RecordedEvent &event,
                                         const DecisionContext &ctx) override
    {
        return m_inner->react(reaction, event, ctx);
    }
    Result<QStringList> projectionKeys(const QString &projection, const RecordedEvent &event) override
    {
        if (m_reached && !m_reached(event.position))
            return Error::make(ErrorCode::Cancelled, u"cancelled"_s);
        return m_inner->projectionKeys(projection, event);
    }
    Result<QJsonValue> project(const QString &projection, const QJsonValue &current, const RecordedEvent &event,
                               const QString &key) override
    {
        return m_inner->project(projection, current, event, key);
    }
    int schemaVersion(const QString &eventType) const override { return m_inner->schemaVersion(eventType); }

private:
    Domain *m_inner;
    std::function<bool(qint64)> m_reached;
};

} // namespace

Result<QList<AsOfStream>> AsOf::streams(EventStore *store, qint64 position, const Progress &progress)
{
    auto all = store->streams();
    if (!all)
        return all.error();
    QList<AsOfStream> out;
    out.reserve(all->size());
    // The unique (stream, version) index walked downwards stops at the first
    // event at or before the position: one probe for a stream that did not
    // move since, one row per later event otherwise.
    QSqlQuery q(store->database());
    q.setForwardOnly(true);
    if (!q.prepare(u"SELECT version, position, recorded_ms FROM events WHERE stream = ? AND position <= ? "
                   "ORDER BY version DESC LIMIT 1"_s))
        return Error::make(ErrorCode::Io, u"streams as of %1: %2"_s.arg(position).arg(q.lastError().text()));
    const qint64 total = all->size();
    for (qint64 i = 0; i < total; ++i) {
        if (progress && i % 256 == 0 && !progress(i, total))
            return Error::make(ErrorCode::Cancelled, u"streams as of %1: cancelled"_s.arg(position));
        const StreamInfo &s = all->at(i);
        q.bindValue(0, s.stream);
        q.bindValue(1, position);
        if (!q.exec())
            return Error::make(ErrorCode::Io, u"streams as of %1: %2"_s.arg(position).arg(q.lastError().text()));
        if (q.next())
            out.append({s.stream, s.type, q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong()});
        else if (endedOnError(q)) // not "the stream did not exist yet"
            return storeError(store->displayName(), u"read the streams as of %1"_s.arg(position), q.lastError());
        q.finish();
    }
    if (progress)
        progress(total, total);
    return out;
}

Result<AsOfRows> AsOf::projectionRows(EventStore *store, Domain *domain, const QString &projection,
                                      qint64 position, const Progress &progress)
{
    const qint64 upTo = qMin(position, store->headPosition());
    bool cancelled = false;
    ProgressDomain reporting(domain, [&](qint64 reached) {
        cancelled = progress && !progress(reached, upTo);
        return !cancelled;
    });
    auto built = ProjectionRunner::buildAsOf(store, &reporting, position, {projection});
    if (!built) {
        // The writer reports the handler's error as its own: the flag says whether it was ours.
        if (cancelled || built.error().code == ErrorCode::Cancelled)
            return Error::make(ErrorCode::Cancelled, u"%1 as of %2: cancelled"_s.arg(projection).arg(position));
        return built.error();
    }
    auto rows = (*built)->dump(projection);
    if (!rows)
        return rows.error();
    if (progress)
        progress(upTo, upTo);
    return AsOfRows{projection, position, *rows};
}

} // namespace es
