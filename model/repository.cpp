#include "repository.h"

#include "eventstore.h"

using namespace Qt::StringLiterals;

namespace es {

namespace {
constexpr qsizetype MaxCachedStreams = 20000;
}

Repository::Repository(EventStore *store, Domain *domain)
    : m_store(store)
    , m_domain(domain)
{
}

void Repository::setCacheEnabled(bool on)
{
    m_cacheEnabled = on;
    if (!on)
        m_cache.clear();
}

Result<LoadedAggregate> Repository::load(const QString &aggregate, const QString &stream, qint64 maxVersion)
{
    LoadedAggregate out;
    out.stream = stream;
    const std::optional<StreamInfo> info = m_store->streamInfo(stream);
    out.aggregate = aggregate.isEmpty() && info ? info->type : aggregate;
    if (out.aggregate.isEmpty())
        return Error::make(ErrorCode::NotFound, u"no stream %1"_s.arg(stream));
    if (info && info->type != out.aggregate)
        return Error::make(ErrorCode::Invalid, u"stream %1 is a %2, not a %3"_s.arg(stream, info->type, out.aggregate));
    if (!m_domain->info().aggregate(out.aggregate))
        return Error::make(ErrorCode::NotFound, u"the domain pack %1 has no aggregate %2"_s.arg(m_domain->info().name,
                                                                                                 out.aggregate));
    out.exists = info.has_value();
    const qint64 current = info ? info->version : 0;
    const qint64 target = maxVersion < 0 ? current : qMin(maxVersion, current);

    qint64 from = 1;
    if (m_cacheEnabled && maxVersion < 0) {
        auto it = m_cache.constFind(stream);
        if (it != m_cache.cend() && it->version <= target && it->aggregate == out.aggregate) {
            out.state = it->state;
            out.version = it->version;
            out.position = it->position;
            out.fromCache = true;
            from = it->version + 1;
        }
    }
    if (!out.fromCache) {
        std::optional<Snapshot> snap;
        if (m_useSnapshots && target > 0)
            snap = m_store->latestSnapshot(stream, target, m_domain->info().version, m_domain->info().contentHash);
        if (snap) {
            out.state = snap->state;
            out.version = snap->version;
            out.snapshotVersion = snap->version;
            from = snap->version + 1;
        } else {
            auto init = m_domain->initialState(out.aggregate);
            if (!init)
                return init.error();
            out.state = *init;
        }
    }
    if (from <= target) {
        auto events = m_store->readStream(stream, from, target);
        if (!events)
            return events.error();
        auto folded = m_domain->fold(out.aggregate, out.state, *events);
        if (!folded)
            return folded.error();
        out.state = *folded;
        out.eventsApplied = events->size();
        if (!events->isEmpty()) {
            out.version = events->constLast().version;
            out.position = events->constLast().position;
        }
    }
    if (m_cacheEnabled && maxVersion < 0 && out.exists) {
        if (m_cache.size() >= MaxCachedStreams)
            m_cache.clear();
        m_cache.insert(stream, out);
    }
    return out;
}

Result<LoadedAggregate> Repository::advance(const LoadedAggregate &loaded, const EventList &events)
{
    LoadedAggregate out = loaded;
    auto folded = m_domain->fold(loaded.aggregate, loaded.state, events);
    if (!folded) {
        m_cache.remove(loaded.stream);
        return folded.error();
    }
    out.state = *folded;
    out.exists = true;
    out.fromCache = false;
    out.snapshotVersion = 0;
    out.eventsApplied = events.size();
    if (!events.isEmpty()) {
        out.version = events.constLast().version;
        out.position = events.constLast().position;
    }
    if (m_cacheEnabled) {
        if (m_cache.size() >= MaxCachedStreams)
            m_cache.clear();
        m_cache.insert(out.stream, out);
    }
    return out;
}

} // namespace es
