#include "projectionrunner.h"

#include "eventrangereader.h"
#include "eventstore.h"
#include "projectionwriter.h"
#include "storewatcher.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSet>
#include <QSqlError>

#include <deque>

Q_LOGGING_CATEGORY(lcProjections, "eventscope.projections", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

constexpr int RetryAfterErrorMs = 1000;
constexpr qint64 ThroughputWindowMs = 2000;
constexpr int AsOfBatchSize = 5000;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

struct ProjectionRunner::Slot {
    ProjectionSchema schema;     // as the pack declares it now
    ProjectionSchema liveSchema; // the shape of the live tables
    ProjectionCheckpoint cp;     // as committed
    QSet<QString> eventTypes;
    QString invalid;             // the pack's definition cannot be used: nothing runs
    bool shapeChanged = false;   // the pack's shape differs from the live tables': rebuild needed
    std::unique_ptr<ProjectionWriter> live;

    std::unique_ptr<ProjectionWriter> shadow;
    qint64 shadowPosition = -1;
    bool swapWhenReady = false;
    bool shadowReady = false;
    QString rebuildError;

    QSet<qint64> skipped; // positions skipped by the user (audit)
    QString transientError;
    qint64 retryAt = 0; // runner clock, after a transient error
    int waitMs = 0;     // delay: until the next event is old enough

    struct Sample {
        qint64 startMs;
        qint64 endMs;
        qint64 events;
    };
    std::deque<Sample> samples;
    qint64 lastEmitAt = -1;
    ProjectionState lastEmittedState = ProjectionState::Running;
    qint64 lastEmittedPosition = -1;
    QString lastEmittedError;

    bool handles(const RecordedEvent &e) const { return eventTypes.isEmpty() || eventTypes.contains(e.type); }
    bool runnable() const { return invalid.isEmpty() && !shapeChanged && cp.state == ProjectionState::Running; }
};

ProjectionRunner::ProjectionRunner(EventStore *store, Domain *domain, const Options &options)
    : m_store(store)
    , m_domain(domain)
    , m_options(options)
{
    m_clock.start();
    m_tickTimer.setSingleShot(true);
    connect(&m_tickTimer, &QTimer::timeout, this, &ProjectionRunner::tick);
    if (m_options.batchSize < 1)
        m_options.batchSize = 1;
}

ProjectionRunner::~ProjectionRunner()
{
    // The read store, the reader and the watcher use the store's connection: they go first.
    m_watcher.reset();
    m_slots.clear();
    m_reader.reset();
    m_readStore.reset();
    m_ownedStore.reset();
}

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::create(EventStore *store, Domain *domain)
{
    return create(store, domain, Options());
}

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::create(EventStore *store, Domain *domain,
                                                                   const Options &options)
{
    if (!store || !domain)
        return Error::make(ErrorCode::Invalid, u"a projection runner needs a store and a domain"_s);
    std::unique_ptr<ProjectionRunner> runner(new ProjectionRunner(store, domain, options));
    runner->m_reader = std::make_unique<EventRangeReader>(store->database());
    if (options.readStorePath.isEmpty()) {
        if (store->isReadOnly())
            return Error::make(ErrorCode::ReadOnly,
                               u"%1 is open read-only: projections need a separate read store (a file of their own)"_s
                                   .arg(store->path()));
        auto rs = ReadStore::attach(store->database());
        if (!rs)
            return rs.error();
        runner->m_readStore = std::move(*rs);
    } else {
        auto rs = ReadStore::open(options.readStorePath);
        if (!rs)
            return rs.error();
        runner->m_readStore = std::move(*rs);
    }
    if (auto st = runner->load(); !st)
        return st.error();
    connect(store, &EventStore::eventsAppended, runner.get(), &ProjectionRunner::notifyAppended);
    return runner;
}

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::open(const QString &storePath, Domain *domain,
                                                                 const Options &options)
{
    EventStore::Options so;
    // With a read store of its own the event store is only read.
    so.mode = options.readStorePath.isEmpty() ? EventStore::Mode::ReadWrite : EventStore::Mode::ReadOnly;
    // A checkpoint commits with its rows, so NORMAL keeps exactly-once; a power
    // loss may only undo the last batches, which are then applied again.
    so.durability = EventStore::Durability::Normal;
    auto store = EventStore::open(storePath, so);
    if (!store)
        return store.error();
    EventStore *raw = store->get();
    auto runner = create(raw, domain, options);
    if (!runner)
        return runner.error();
    (*runner)->m_ownedStore = std::move(*store);
    return runner;
}

// --- loading ----------------------------------------------------------------------

Status ProjectionRunner::load()
{
    m_slots.clear();
    const DomainInfo &info = m_domain->info();
    QStringList declared;
    for (const ProjectionSpec &spec : info.projections)
        declared << spec.name;
    for (const QString &wanted : std::as_const(m_options.projections)) {
        if (!declared.contains(wanted))
            return Error::make(ErrorCode::NotFound, u"the pack %1 has no projection named %2 (it has: %3)"_s.arg(
                                                        info.name, wanted,
                                                        declared.isEmpty() ? u"none"_s : declared.join(u", "_s)));
    }
    QSet<QString> seen;
    for (const ProjectionSpec &spec : info.projections) {
        if (!m_options.projections.isEmpty() && !m_options.projections.contains(spec.name))
            continue;
        auto slot = std::make_unique<Slot>();
        auto schema = ProjectionSchema::fromSpec(spec);
        if (schema) {
            slot->schema = *schema;
        } else {
            slot->schema.name = spec.name;
            slot->invalid = schema.error().message;
        }
        if (seen.contains(spec.name.toLower()) && slot->invalid.isEmpty())
            slot->invalid = u"projection '%1': another projection has the same name up to case (SQL names ignore "
                            "case)"_s.arg(spec.name);
        seen.insert(spec.name.toLower());
        for (const QString &t : std::as_const(slot->schema.eventTypes))
            slot->eventTypes.insert(t);
        if (!slot->invalid.isEmpty())
            qCWarning(lcProjections).noquote() << slot->invalid;
        m_slots.push_back(std::move(slot));
    }
    if (auto st = m_readStore->begin(); !st)
        return st;
    for (auto &slot : m_slots) {
        if (!slot->invalid.isEmpty())
            continue;
        if (auto st = loadSlot(*slot); !st) {
            m_readStore->rollback();
            return st;
        }
    }
    if (auto st = m_readStore->commit(); !st)
        return st;
    m_head = m_store->headPosition();
    return {};
}

Status ProjectionRunner::loadSlot(Slot &slot)
{
    const QString &name = slot.schema.name;
    auto cp = m_readStore->checkpoint(name);
    if (!cp)
        return cp.error();
    // A rebuild that did not finish (the process stopped): start over when asked.
    if (m_readStore->hasTables(name, ReadStore::Tables::Shadow)) {
        if (auto st = m_readStore->dropTables(name, ReadStore::Tables::Shadow); !st)
            return st;
    }
    if (!*cp) {
        // Tables without a checkpoint are leftovers of nothing we know: start clean.
        if (auto st = m_readStore->dropTables(name, ReadStore::Tables::Live); !st)
            return st;
        if (auto st = m_readStore->createTables(slot.schema, ReadStore::Tables::Live); !st)
            return st;
        slot.cp = ProjectionCheckpoint{};
        slot.cp.name = name;
        slot.cp.kind = slot.schema.kind;
        slot.cp.shape = slot.schema.shape();
        if (auto st = m_readStore->saveCheckpoint(slot.cp); !st)
            return st;
        slot.liveSchema = slot.schema;
        qCDebug(lcProjections) << "projection" << name << "created";
    } else {
        slot.cp = **cp;
        auto stored = ProjectionSchema::fromStored(name, slot.cp.shape);
        if (!stored) {
            // Unreadable: the live tables are rebuilt from scratch.
            slot.liveSchema = slot.schema;
            slot.shapeChanged = true;
        } else {
            slot.liveSchema = *stored;
            slot.shapeChanged = !slot.schema.sameShape(slot.liveSchema);
        }
        if (!m_readStore->hasTables(name, ReadStore::Tables::Live)) {
            // The tables were dropped by hand: the checkpoint means nothing without them.
            if (auto st = m_readStore->createTables(slot.liveSchema, ReadStore::Tables::Live); !st)
                return st;
            slot.cp.position = 0;
            if (auto st = m_readStore->saveCheckpoint(slot.cp); !st)
                return st;
        }
    }
    auto skips = m_readStore->skips(name);
    if (!skips)
        return skips.error();
    slot.skipped.clear();
    for (const SkipRecord &r : *skips)
        slot.skipped.insert(r.position);
    slot.live = std::make_unique<ProjectionWriter>(m_readStore.get(), slot.liveSchema, ReadStore::Tables::Live);
    return {};
}

QStringList ProjectionRunner::projections() const
{
    QStringList names;
    for (const auto &slot : m_slots)
        names << slot->schema.name;
    return names;
}

const ProjectionSchema *ProjectionRunner::schema(const QString &name) const
{
    Slot *slot = find(name);
    return slot ? &slot->schema : nullptr;
}

ProjectionRunner::Slot *ProjectionRunner::find(const QString &name) const
{
    for (const auto &slot : m_slots) {
        if (slot->schema.name == name)
            return slot.get();
    }
    return nullptr;
}

Result<ProjectionRunner::Slot *> ProjectionRunner::require(const QString &name) const
{
    if (Slot *slot = find(name))
        return slot;
    const QStringList names = projections();
    return Error::make(ErrorCode::NotFound, u"no projection named %1 (projections: %2)"_s.arg(
                                                name, names.isEmpty() ? u"none"_s : names.join(u", "_s)));
}

// --- the batch loop ---------------------------------------------------------------

qint64 ProjectionRunner::head()
{
    m_head = qMax(m_head, m_store->headPosition());
    return m_head;
}

const EventList *ProjectionRunner::readBatch(qint64 from, qint64 head, int limit, Status *error)
{
    if (from == m_batchFrom && head == m_batchHead && limit == m_batchLimit)
        return &m_batch;
    Result<EventList> events = Error{};
    if (m_reader && m_reader->isValid()) {
        events = m_reader->read(from, head, limit);
    } else {
        EventQuery q;
        q.fromPosition = from;
        q.toPosition = head;
        q.limit = limit;
        events = m_store->query(q);
    }
    if (!events) {
        *error = events.error();
        m_batchFrom = -1;
        return nullptr;
    }
    m_batch = std::move(*events);
    m_batchFrom = from;
    m_batchHead = head;
    m_batchLimit = limit;
    return &m_batch;
}

int ProjectionRunner::effectiveDelay(const Slot &slot)
{
    return slot.cp.delayMs >= 0 ? slot.cp.delayMs : slot.schema.delayMs;
}

ProjectionRunner::Step ProjectionRunner::liveRound(qint64 head, qint64 *applied, Status *error)
{
    *applied = 0;
    // One batch for every projection that is behind, all in one transaction:
    // one write lock per round, however many projections the pack has.
    struct Work {
        Slot *slot;
        EventList events;
        qsizetype count;
        ProjectionCheckpoint next;
        QStringList changed;
        std::optional<Error> poison;
        bool movedElsewhere = false;
    };
    std::vector<Work> work;
    bool waiting = false;
    for (auto &slotPtr : m_slots) {
        Slot &slot = *slotPtr;
        slot.waitMs = 0;
        if (!slot.runnable() || slot.cp.position >= head)
            continue;
        if (slot.retryAt > m_clock.elapsed()) {
            waiting = true;
            continue;
        }
        const EventList *events = readBatch(slot.cp.position + 1, head, m_options.batchSize, error);
        if (!events)
            return Step::Idle;
        qsizetype count = events->size();
        if (const int delay = effectiveDelay(slot); delay > 0) {
            const qint64 cutoff = nowMs() - delay;
            qsizetype i = 0;
            while (i < count && events->at(i).recordedMs <= cutoff)
                ++i;
            if (i < count)
                slot.waitMs = int(qBound<qint64>(1, events->at(i).recordedMs - cutoff, qint64(delay)));
            count = i;
        }
        if (count == 0) {
            waiting = true;
            continue;
        }
        work.push_back(Work{&slot, *events, count, slot.cp, {}, std::nullopt});
    }
    if (work.empty())
        return waiting ? Step::Waiting : Step::Idle;

    const qint64 startedAt = m_clock.elapsed();
    auto transient = [&](const Error &e) {
        for (Work &w : work) {
            w.slot->live->discard();
            w.slot->transientError = e.message;
            w.slot->retryAt = m_clock.elapsed() + RetryAfterErrorMs;
            emitStatus(*w.slot, true);
        }
        *error = e;
        qCWarning(lcProjections).noquote() << e.message << "(retrying in" << RetryAfterErrorMs << "ms)";
        return Step::Waiting;
    };
    auto abort = [&](const Error &e) {
        m_readStore->rollback();
        return transient(e);
    };
    if (auto st = m_readStore->begin(); !st)
        return transient(st.error());
    for (Work &w : work) {
        Slot &slot = *w.slot;
        // Another runner (thread or process) may have moved this projection on:
        // applying our batch too would apply its events twice.
        auto stored = m_readStore->checkpoint(slot.schema.name);
        if (!stored)
            return abort(stored.error());
        if (!*stored)
            return abort(Error::make(ErrorCode::NotFound, u"the checkpoint of %1 disappeared"_s.arg(slot.schema.name)));
        if ((*stored)->position != slot.cp.position || (*stored)->state != slot.cp.state) {
            qCDebug(lcProjections) << "projection" << slot.schema.name << "was moved on elsewhere to"
                                   << (*stored)->position;
            w.movedElsewhere = true;
            w.next = **stored;
            continue;
        }
        const RecordedEvent *poisonEvent = nullptr;
        Error failure;
        auto done = slot.live->applyEvents(m_domain, w.events.constData(), w.count, slot.eventTypes, &failure);
        if (!done)
            return abort(done.error());
        if (*done > 0)
            w.next.position = w.events.at(*done - 1).position;
        if (*done < w.count) {
            w.poison = failure;
            poisonEvent = &w.events.at(*done);
        }
        auto changed = slot.live->flush();
        if (!changed)
            return abort(changed.error());
        w.changed = *changed;
        if (slot.schema.kind == ProjectionKind::Page && !w.changed.isEmpty()) {
            if (auto st = m_readStore->recordInvalidation(slot.schema.name, w.next.position, w.changed); !st)
                return abort(st.error());
        }
        if (w.poison) {
            w.next.state = ProjectionState::Failed;
            w.next.lastError = w.poison->message;
            w.next.errorPosition = poisonEvent->position;
            w.next.errorEventId = poisonEvent->eventId;
            w.next.errorEventType = poisonEvent->type;
            qCWarning(lcProjections).noquote() << "projection" << slot.schema.name << "stopped:" << w.poison->message;
        }
        if (auto st = m_readStore->saveCheckpoint(w.next); !st)
            return abort(st.error());
        if (m_options.batchHook)
            m_options.batchHook(BatchInfo{slot.schema.name, w.next.position, m_batches, false});
    }
    if (auto st = m_readStore->commit(); !st)
        return transient(st.error());
    ++m_batches;

    bool more = false;
    const qint64 endedAt = m_clock.elapsed();
    for (Work &w : work) {
        Slot &slot = *w.slot;
        if (w.movedElsewhere) {
            slot.live->discard();
            slot.cp = w.next;
            more = true;
            continue;
        }
        slot.live->committed();
        if (m_options.batchHook)
            m_options.batchHook(BatchInfo{slot.schema.name, w.next.position, m_batches, true});
        const qint64 advanced = w.next.position - slot.cp.position;
        slot.cp = w.next;
        slot.transientError.clear();
        *applied += advanced;
        // Live batches back to back: the time between them counts as busy time too.
        const qint64 spanStart = !slot.samples.empty() && startedAt - slot.samples.back().endMs < 250
            ? slot.samples.back().endMs
            : startedAt;
        slot.samples.push_back({spanStart, endedAt, advanced});
        while (!slot.samples.empty() && slot.samples.front().endMs < endedAt - ThroughputWindowMs)
            slot.samples.pop_front();
        if (!w.changed.isEmpty()) {
            if (slot.schema.kind == ProjectionKind::Page)
                Q_EMIT pagesInvalidated(slot.schema.name, w.changed, slot.cp.position);
            else
                Q_EMIT rowsChanged(slot.schema.name, w.changed);
        }
        emitStatus(slot, w.poison.has_value());
        if (!w.poison && slot.cp.position < head)
            more = true;
    }
    if (more)
        return Step::Progress;
    return waiting ? Step::Waiting : Step::Idle;
}

Status ProjectionRunner::startShadow(Slot &slot)
{
    if (!slot.invalid.isEmpty())
        return Error::make(ErrorCode::Invalid, slot.invalid);
    slot.shadow.reset();
    if (auto st = m_readStore->begin(); !st)
        return st;
    Status st = m_readStore->dropTables(slot.schema.name, ReadStore::Tables::Shadow);
    if (st)
        st = m_readStore->createTables(slot.schema, ReadStore::Tables::Shadow);
    if (!st) {
        m_readStore->rollback();
        return st;
    }
    if (st = m_readStore->commit(); !st)
        return st;
    slot.shadow = std::make_unique<ProjectionWriter>(m_readStore.get(), slot.schema, ReadStore::Tables::Shadow);
    slot.shadow->setFresh(true);
    slot.shadowPosition = 0;
    slot.shadowReady = false;
    slot.rebuildError.clear();
    qCDebug(lcProjections) << "projection" << slot.schema.name << "rebuild started";
    emitStatus(slot, true);
    return {};
}

void ProjectionRunner::failRebuild(Slot &slot, const QString &message)
{
    slot.shadow.reset();
    slot.shadowPosition = -1;
    slot.shadowReady = false;
    slot.swapWhenReady = false;
    slot.rebuildError = message;
    if (m_readStore->begin()) {
        if (m_readStore->dropTables(slot.schema.name, ReadStore::Tables::Shadow))
            m_readStore->commit();
        else
            m_readStore->rollback();
    }
    if (!message.isEmpty())
        qCWarning(lcProjections).noquote() << "rebuild of" << slot.schema.name << "stopped:" << message;
    emitStatus(slot, true);
}

ProjectionRunner::Step ProjectionRunner::stepShadow(Slot &slot, qint64 head, qint64 *applied, Status *error)
{
    *applied = 0;
    if (!slot.shadow)
        return Step::Idle;
    if (slot.shadowPosition >= head) {
        slot.shadowReady = true;
        return Step::Idle;
    }
    const EventList *events = readBatch(slot.shadowPosition + 1, head, m_options.batchSize, error);
    if (!events)
        return Step::Idle;
    if (auto st = m_readStore->begin(); !st) {
        *error = st;
        return Step::Idle;
    }
    qint64 position = slot.shadowPosition;
    for (qsizetype i = 0; i < events->size();) {
        Error failure;
        auto done = slot.shadow->applyEvents(m_domain, events->constData() + i, events->size() - i,
                                                 slot.eventTypes, &failure);
        if (!done) {
            m_readStore->rollback();
            slot.shadow->discard();
            *error = done.error();
            return Step::Idle;
        }
        i += *done;
        if (i >= events->size())
            break;
        const RecordedEvent &e = events->at(i);
        if (!slot.skipped.contains(e.position)) {
            m_readStore->rollback();
            failRebuild(slot, failure.message);
            return Step::Idle;
        }
        // Skipped by the user in the live model, and still failing: skipped again.
        qCDebug(lcProjections) << "rebuild of" << slot.schema.name << "skips" << e.position << "again";
        ++i;
    }
    if (!events->isEmpty())
        position = events->constLast().position;
    auto changed = slot.shadow->flush();
    if (!changed) {
        m_readStore->rollback();
        slot.shadow->discard();
        *error = changed.error();
        return Step::Idle;
    }
    if (auto st = m_readStore->commit(); !st) {
        slot.shadow->discard();
        *error = st;
        return Step::Idle;
    }
    slot.shadow->committed();
    *applied = position - slot.shadowPosition;
    slot.shadowPosition = position;
    if (slot.shadowPosition >= head)
        slot.shadowReady = true;
    emitStatus(slot, false);
    return slot.shadowReady ? Step::Idle : Step::Progress;
}

Status ProjectionRunner::doSwap(Slot &slot)
{
    if (!slot.shadow)
        return Error::make(ErrorCode::NotFound, u"projection %1 has no rebuild to swap in%2"_s.arg(
                                                    slot.schema.name, slot.rebuildError.isEmpty()
                                                                          ? QString()
                                                                          : u" (the rebuild failed: "_s +
                                                                                slot.rebuildError + u')'));
    // The shadow catches up to the head first, so that the live model does not go back in time.
    for (;;) {
        qint64 applied = 0;
        Status error;
        const Step s = stepShadow(slot, head(), &applied, &error);
        if (!error)
            return error;
        if (!slot.shadow)
            return Error::make(ErrorCode::Script, u"the rebuild of %1 failed: %2"_s.arg(slot.schema.name,
                                                                                        slot.rebuildError));
        if (s != Step::Progress)
            break;
    }
    QStringList changedPaths;
    if (auto st = m_readStore->begin(); !st)
        return st;
    auto fail = [this](const Error &e) {
        m_readStore->rollback();
        return Status(e);
    };
    if (slot.schema.kind == ProjectionKind::Page || slot.liveSchema.kind == ProjectionKind::Page) {
        auto d = m_readStore->diff(slot.liveSchema, slot.schema, 0, [&changedPaths](const RowChange &c) {
            changedPaths << c.key;
        });
        if (!d)
            return fail(d.error());
    }
    if (auto st = m_readStore->swapShadow(slot.schema.name); !st)
        return fail(st.error());
    ProjectionCheckpoint next = slot.cp;
    next.kind = slot.schema.kind;
    next.shape = slot.schema.shape();
    next.position = slot.shadowPosition;
    next.generation = slot.cp.generation + 1;
    if (next.state == ProjectionState::Failed)
        next.state = ProjectionState::Running;
    next.lastError.clear();
    next.errorPosition = 0;
    next.errorEventId.clear();
    next.errorEventType.clear();
    if (auto st = m_readStore->saveCheckpoint(next); !st)
        return fail(st.error());
    if (!changedPaths.isEmpty()) {
        if (auto st = m_readStore->recordInvalidation(slot.schema.name, next.position, changedPaths); !st)
            return fail(st.error());
    }
    if (auto st = m_readStore->commit(); !st)
        return st;
    slot.cp = next;
    slot.liveSchema = slot.schema;
    slot.shapeChanged = false;
    slot.live = std::make_unique<ProjectionWriter>(m_readStore.get(), slot.schema, ReadStore::Tables::Live);
    slot.shadow.reset();
    slot.shadowPosition = -1;
    slot.shadowReady = false;
    slot.swapWhenReady = false;
    slot.rebuildError.clear();
    slot.transientError.clear();
    qCDebug(lcProjections) << "projection" << slot.schema.name << "swapped in its rebuild at" << next.position;
    Q_EMIT projectionReset(slot.schema.name);
    if (!changedPaths.isEmpty())
        Q_EMIT pagesInvalidated(slot.schema.name, changedPaths, next.position);
    emitStatus(slot, true);
    if (m_started)
        scheduleTick(0);
    return {};
}

// --- live following -------------------------------------------------------------

void ProjectionRunner::start()
{
    if (m_started)
        return;
    m_started = true;
    m_connected = true;
    // Other connections' commits: the watcher polls SQLite's data_version, or on
    // PostgreSQL LISTENs (NOTIFY), polls the head as a safety net and notices a
    // dropped connection. It reopens only a connection this runner opened: a
    // borrowed store is its owner's to reopen.
    if (m_store->isPostgres() || m_options.pollIntervalMs > 0) {
        StoreWatcher::Options wo;
        wo.pollIntervalMs = m_options.pollIntervalMs;
        wo.safetyPollMs = qMax(100, m_options.safetyPollMs);
        wo.reconnect = m_ownedStore != nullptr;
        m_watcher = std::make_unique<StoreWatcher>(m_store, wo);
        connect(m_watcher.get(), &StoreWatcher::changed, this, [this] { scheduleTick(0); });
        connect(m_watcher.get(), &StoreWatcher::connectionLost, this, &ProjectionRunner::onConnectionLost);
        connect(m_watcher.get(), &StoreWatcher::reconnected, this, &ProjectionRunner::onReconnected);
        m_watcher->start();
    }
    scheduleTick(0);
}

void ProjectionRunner::stop()
{
    m_started = false;
    m_watcher.reset();
    m_tickTimer.stop();
}

void ProjectionRunner::notifyAppended(const EventList &events)
{
    if (!events.isEmpty())
        m_head = qMax(m_head, events.constLast().position);
    if (m_started)
        scheduleTick(0);
}

void ProjectionRunner::scheduleTick(int delayMs)
{
    if (m_tickTimer.isActive() && m_tickTimer.remainingTime() <= delayMs)
        return;
    m_tickTimer.start(qMax(0, delayMs));
}

void ProjectionRunner::onConnectionLost(const QString &why)
{
    // Not a handler error: no projection is paused or failed for it. The batch
    // in flight died with the server's session (rolled back, its checkpoint
    // too); so did the read store's prepared statements: free them before the
    // watcher reopens the connection.
    m_readStore->recover();
    m_batchFrom = -1;
    for (auto &slot : m_slots) {
        if (slot->live)
            slot->live->discard();
        if (slot->shadow)
            slot->shadow->discard();
    }
    if (!m_ownedStore) {
        // Its owner reopens it: look again later (subscribing again too).
        qCWarning(lcProjections).noquote() << m_store->displayName() << ": connection lost:" << why;
        QTimer::singleShot(qMax(100, m_options.safetyPollMs), this, [this] {
            if (m_started && m_watcher)
                m_watcher->start();
        });
        return;
    }
    m_connected = false;
    m_tickTimer.stop();
    const QString message = u"connection to %1 lost (%2): reconnecting"_s.arg(m_store->displayName(), why);
    qCWarning(lcProjections).noquote() << message;
    for (auto &slot : m_slots) {
        slot->transientError = message;
        emitStatus(*slot, true);
    }
    Q_EMIT connectionChanged(false, message);
}

void ProjectionRunner::onReconnected()
{
    // Statements prepared while the connection was down are broken: prepare them on the new session.
    if (auto st = m_readStore->recover(); !st)
        qCWarning(lcProjections).noquote() << st.error().message; // the next batch fails and recovers again
    m_connected = true;
    m_batchFrom = -1;
    for (auto &slotPtr : m_slots) {
        Slot &slot = *slotPtr;
        if (slot.live) {
            slot.live->discard();
            // A commit whose answer the drop swallowed may have gone through: the stored checkpoint says.
            if (auto cp = m_readStore->checkpoint(slot.schema.name); cp && *cp)
                slot.cp = **cp;
        }
        // A rebuild's position lives in memory only: after a drop it could apply a batch twice.
        if (slot.shadow)
            failRebuild(slot, u"the connection to the store was lost: start the rebuild again"_s);
        slot.transientError.clear();
        slot.retryAt = 0;
        emitStatus(slot, true);
    }
    const QString message = u"reconnected to %1"_s.arg(m_store->displayName());
    qCInfo(lcProjections).noquote() << message << "; catching up from the checkpoints";
    Q_EMIT connectionChanged(true, message);
    if (m_started)
        scheduleTick(0);
}

void ProjectionRunner::tick()
{
    if (!m_started || !m_connected)
        return;
    const qint64 h = head();
    bool more = false;
    int wait = -1;
    auto waitFor = [&wait](int ms) { wait = wait < 0 ? ms : qMin(wait, ms); };
    qint64 applied = 0;
    Status error;
    if (liveRound(h, &applied, &error) == Step::Progress)
        more = true;
    for (auto &slotPtr : m_slots) {
        Slot &slot = *slotPtr;
        if (slot.retryAt > m_clock.elapsed())
            waitFor(int(slot.retryAt - m_clock.elapsed()));
        else if (slot.waitMs > 0)
            waitFor(slot.waitMs);
        if (slot.shadow) {
            Status shadowError;
            if (stepShadow(slot, h, &applied, &shadowError) == Step::Progress)
                more = true;
            if (!shadowError) {
                qCWarning(lcProjections).noquote() << "rebuild of" << slot.schema.name << ":"
                                                   << shadowError.error().message;
                error = shadowError;
                waitFor(RetryAfterErrorMs);
            } else if (slot.shadow && slot.shadowReady && slot.swapWhenReady) {
                if (auto st = doSwap(slot); !st) {
                    qCWarning(lcProjections).noquote() << "swap of" << slot.schema.name << ":" << st.error().message;
                    waitFor(RetryAfterErrorMs);
                }
            }
        }
        emitStatus(slot, false);
    }
    if (more)
        scheduleTick(0);
    else if (wait >= 0)
        scheduleTick(wait);
    if (!error && (m_store->isPostgres() || m_readStore->isPostgres())) {
        // Maybe the connection dropped: probe now rather than at the next safety
        // poll (a lost connection is handled in onConnectionLost), and free
        // statements a connection reopened elsewhere no longer knows.
        if (m_watcher)
            m_watcher->checkNow();
        if (m_connected)
            m_readStore->recover();
    }
}

Result<qint64> ProjectionRunner::catchUp()
{
    qint64 total = 0;
    const qint64 h = head();
    for (;;) {
        qint64 applied = 0;
        Status error;
        const Step s = liveRound(h, &applied, &error);
        if (!error)
            return error.error();
        total += applied;
        if (s != Step::Progress)
            break;
    }
    for (auto &slotPtr : m_slots) {
        Slot &slot = *slotPtr;
        while (slot.shadow) {
            qint64 applied = 0;
            Status error;
            const Step s = stepShadow(slot, h, &applied, &error);
            if (!error)
                return error.error();
            if (s != Step::Progress)
                break;
        }
        if (slot.shadow && slot.shadowReady && slot.swapWhenReady) {
            if (auto st = doSwap(slot); !st)
                return st.error();
        }
        emitStatus(slot, true);
    }
    return total;
}

// --- status -------------------------------------------------------------------------

ProjectionStatus ProjectionRunner::statusOf(const Slot &slot, qint64 head)
{
    ProjectionStatus s;
    s.name = slot.schema.name;
    s.kind = slot.schema.kind;
    s.state = slot.cp.state;
    s.position = slot.cp.position;
    s.head = head;
    s.lagEvents = qMax<qint64>(0, head - slot.cp.position);
    s.lastError = slot.cp.lastError;
    s.errorPosition = slot.cp.errorPosition;
    s.errorEventId = slot.cp.errorEventId;
    s.errorEventType = slot.cp.errorEventType;
    s.delayMs = effectiveDelay(slot);
    s.generation = slot.cp.generation;
    s.skipped = slot.skipped.size();
    s.rebuildPosition = slot.shadow ? slot.shadowPosition : -1;
    s.shadowReady = slot.shadow && slot.shadowReady;
    s.rebuildError = slot.rebuildError;
    if (!slot.invalid.isEmpty()) {
        s.state = ProjectionState::Failed;
        s.lastError = slot.invalid;
    } else if (slot.shapeChanged && s.lastError.isEmpty()) {
        s.state = ProjectionState::Failed;
        s.lastError = u"the pack changed the shape of projection %1 (kind, columns or fields): rebuild it "
                      "(eventscope-cli project STORE --domain PACK --rebuild %1)"_s.arg(slot.schema.name);
    } else if (s.lastError.isEmpty() && !slot.transientError.isEmpty()) {
        s.lastError = slot.transientError;
    }
    if (slot.shadow)
        s.state = ProjectionState::Rebuilding;
    if (s.lagEvents > 0) {
        auto next = m_store->readForward(slot.cp.position + 1, 1);
        if (next && !next->isEmpty())
            s.lagSeconds = qMax<double>(0, double(nowMs() - next->constFirst().recordedMs) / 1000.0);
    }
    if (!slot.samples.empty()) {
        const qint64 now = m_clock.elapsed();
        // Over the busy span of the recent batches: a catch-up reports its own
        // speed, a live projection the rate events arrive at.
        qint64 events = 0;
        qint64 from = now;
        qint64 to = 0;
        for (const Slot::Sample &sample : slot.samples) {
            if (sample.endMs < now - ThroughputWindowMs)
                continue;
            events += sample.events;
            from = qMin(from, sample.startMs);
            to = qMax(to, sample.endMs);
        }
        if (events > 0)
            s.eventsPerSecond = double(events) * 1000.0 / double(qMax<qint64>(10, to - from));
    }
    return s;
}

void ProjectionRunner::emitStatus(Slot &slot, bool force)
{
    const qint64 now = m_clock.elapsed();
    const QString error = slot.cp.lastError + slot.rebuildError + slot.transientError;
    const bool changedState = slot.cp.state != slot.lastEmittedState || error != slot.lastEmittedError;
    const bool moved = slot.cp.position != slot.lastEmittedPosition;
    const bool caughtUp = slot.cp.position >= m_head;
    if (!force && !changedState && !(moved && (caughtUp || now - slot.lastEmitAt >= m_options.statusIntervalMs)))
        return;
    const ProjectionStatus s = statusOf(slot, m_head);
    slot.lastEmitAt = now;
    slot.lastEmittedState = slot.cp.state;
    slot.lastEmittedPosition = slot.cp.position;
    slot.lastEmittedError = error;
    Q_EMIT statusChanged(s);
}

QList<ProjectionStatus> ProjectionRunner::statuses()
{
    const qint64 h = head();
    QList<ProjectionStatus> out;
    for (const auto &slot : m_slots)
        out.append(statusOf(*slot, h));
    return out;
}

Result<ProjectionStatus> ProjectionRunner::status(const QString &name)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    return statusOf(**slot, head());
}

// --- control ------------------------------------------------------------------------

namespace {
Status saveWith(ReadStore *store, const ProjectionCheckpoint &cp, const std::function<Status()> &also = {})
{
    if (auto st = store->begin(); !st)
        return st;
    Status st = also ? also() : Status();
    if (st)
        st = store->saveCheckpoint(cp);
    if (!st) {
        store->rollback();
        return st;
    }
    return store->commit();
}
} // namespace

Status ProjectionRunner::pause(const QString &name)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    Slot &s = **slot;
    if (s.cp.state == ProjectionState::Paused)
        return {};
    if (s.cp.state == ProjectionState::Failed)
        return Error::make(ErrorCode::Invalid, u"projection %1 is stopped by an error: resume or skip"_s.arg(name));
    ProjectionCheckpoint next = s.cp;
    next.state = ProjectionState::Paused;
    if (auto st = saveWith(m_readStore.get(), next); !st)
        return st;
    s.cp = next;
    emitStatus(s, true);
    return {};
}

Status ProjectionRunner::resume(const QString &name)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    Slot &s = **slot;
    if (!s.invalid.isEmpty())
        return Error::make(ErrorCode::Invalid, s.invalid + u" (fix the pack and reload it)"_s);
    if (s.shapeChanged)
        return Error::make(ErrorCode::Invalid, u"the pack changed the shape of projection %1: rebuild it instead"_s.arg(
                                                   name));
    if (s.cp.state == ProjectionState::Running)
        return {};
    ProjectionCheckpoint next = s.cp;
    next.state = ProjectionState::Running;
    next.lastError.clear();
    next.errorPosition = 0;
    next.errorEventId.clear();
    next.errorEventType.clear();
    if (auto st = saveWith(m_readStore.get(), next); !st)
        return st;
    s.cp = next;
    s.live->discard();
    emitStatus(s, true);
    if (m_started)
        scheduleTick(0);
    return {};
}

Status ProjectionRunner::skip(const QString &name, const QString &reason, const QString &actor)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    Slot &s = **slot;
    if (s.cp.state != ProjectionState::Failed || s.cp.errorPosition <= 0)
        return Error::make(ErrorCode::Invalid, u"projection %1 is not stopped at an event: nothing to skip"_s.arg(name));
    if (s.cp.errorPosition != s.cp.position + 1)
        return Error::make(ErrorCode::Invalid, u"projection %1 stopped at %2 but its checkpoint is %3: resume it "
                                               "first"_s.arg(name)
                                               .arg(s.cp.errorPosition)
                                               .arg(s.cp.position));
    SkipRecord record;
    record.projection = name;
    record.position = s.cp.errorPosition;
    record.eventId = s.cp.errorEventId;
    record.eventType = s.cp.errorEventType;
    record.error = s.cp.lastError;
    record.actor = actor.isEmpty() ? qEnvironmentVariable("USER", u"unknown"_s) : actor;
    record.reason = reason;
    if (auto e = m_store->readForward(record.position, 1); e && !e->isEmpty())
        record.stream = e->constFirst().stream;
    ProjectionCheckpoint next = s.cp;
    next.position = s.cp.errorPosition;
    next.state = ProjectionState::Running;
    next.lastError.clear();
    next.errorPosition = 0;
    next.errorEventId.clear();
    next.errorEventType.clear();
    if (auto st = saveWith(m_readStore.get(), next, [&] { return m_readStore->recordSkip(record); }); !st)
        return st;
    qCInfo(lcProjections).noquote() << "projection" << name << "skipped event" << record.position << "("
                                    << record.eventType << ") for" << record.actor;
    s.cp = next;
    s.skipped.insert(record.position);
    s.live->discard();
    emitStatus(s, true);
    if (m_started)
        scheduleTick(0);
    return {};
}

Status ProjectionRunner::setDelay(const QString &name, int delayMs)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    Slot &s = **slot;
    ProjectionCheckpoint next = s.cp;
    next.delayMs = delayMs < 0 ? -1 : qMin(delayMs, 3'600'000);
    if (auto st = saveWith(m_readStore.get(), next); !st)
        return st;
    s.cp = next;
    emitStatus(s, true);
    if (m_started)
        scheduleTick(0);
    return {};
}

Status ProjectionRunner::setDomain(Domain *domain)
{
    if (!domain)
        return Error::make(ErrorCode::Invalid, u"no domain"_s);
    for (auto &slot : m_slots) {
        if (slot->shadow)
            failRebuild(*slot, u"cancelled: the pack was reloaded"_s);
    }
    Domain *previous = m_domain;
    m_domain = domain;
    if (auto st = load(); !st) {
        m_domain = previous;
        load();
        return st;
    }
    m_batchFrom = -1;
    for (auto &slot : m_slots)
        emitStatus(*slot, true);
    if (m_started)
        scheduleTick(0);
    return {};
}

// --- rebuild ------------------------------------------------------------------------

Status ProjectionRunner::startRebuild(const QString &name, bool swapWhenReady)
{
    auto slot = require(name);
    if (!slot)
        return slot.error();
    if (auto st = startShadow(**slot); !st)
        return st;
    (*slot)->swapWhenReady = swapWhenReady;
    if (m_started)
        scheduleTick(0);
    return {};
}

Status ProjectionRunner::buildShadow(const QString &name, const std::function<bool(qint64, qint64)> &progress)
{
    auto found = require(name);
    if (!found)
        return found.error();
    Slot &slot = **found;
    if (!slot.shadow) {
        if (auto st = startShadow(slot); !st)
            return st;
    }
    for (;;) {
        const qint64 h = head();
        qint64 applied = 0;
        Status error;
        const Step s = stepShadow(slot, h, &applied, &error);
        if (!error)
            return error;
        if (!slot.shadow)
            return Error::make(ErrorCode::Script, u"the rebuild of %1 failed: %2"_s.arg(name, slot.rebuildError));
        if (progress && !progress(slot.shadowPosition, h)) {
            failRebuild(slot, QString());
            return Error::make(ErrorCode::Cancelled, u"the rebuild of %1 was cancelled"_s.arg(name));
        }
        if (s != Step::Progress)
            break;
    }
    emitStatus(slot, true);
    return {};
}

Result<ProjectionDiff> ProjectionRunner::shadowDiff(const QString &name, int sampleLimit)
{
    auto found = require(name);
    if (!found)
        return found.error();
    Slot &slot = **found;
    if (!slot.shadow)
        return Error::make(ErrorCode::NotFound, u"projection %1 has no rebuild in progress"_s.arg(name));
    auto d = m_readStore->diff(slot.liveSchema, slot.schema, sampleLimit);
    if (!d)
        return d.error();
    d->livePosition = slot.cp.position;
    d->shadowPosition = slot.shadowPosition;
    return d;
}

Status ProjectionRunner::swapShadow(const QString &name)
{
    auto found = require(name);
    if (!found)
        return found.error();
    return doSwap(**found);
}

Status ProjectionRunner::cancelRebuild(const QString &name)
{
    auto found = require(name);
    if (!found)
        return found.error();
    if ((*found)->shadow)
        failRebuild(**found, QString());
    return {};
}

Result<ProjectionDiff> ProjectionRunner::rebuild(const QString &name, bool dryRun,
                                                 const std::function<bool(qint64, qint64)> &progress)
{
    auto found = require(name);
    if (!found)
        return found.error();
    if (auto st = startShadow(**found); !st)
        return st.error();
    if (auto st = buildShadow(name, progress); !st)
        return st.error();
    auto d = shadowDiff(name, 20);
    if (!d) {
        cancelRebuild(name);
        return d.error();
    }
    if (dryRun) {
        cancelRebuild(name);
        return d;
    }
    if (auto st = doSwap(**found); !st)
        return st.error();
    return d;
}

// --- as of ----------------------------------------------------------------------------

Result<std::unique_ptr<ReadStore>> ProjectionRunner::asOf(qint64 position, const QStringList &projections)
{
    QHash<QString, QSet<qint64>> skipped;
    for (const auto &slot : m_slots)
        skipped.insert(slot->schema.name, slot->skipped);
    return buildAsOf(m_store, m_domain, position, projections, skipped);
}

Result<std::unique_ptr<ReadStore>> ProjectionRunner::buildAsOf(EventStore *store, Domain *domain, qint64 position,
                                                               const QStringList &projections,
                                                               const QHash<QString, QSet<qint64>> &skipped)
{
    if (position < 0)
        return Error::make(ErrorCode::Invalid, u"as-of position %1 is negative"_s.arg(position));
    auto scratch = ReadStore::open(u":memory:"_s);
    if (!scratch)
        return scratch.error();
    ReadStore *rs = scratch->get();
    const qint64 upTo = qMin(position, store->headPosition());

    struct Target {
        ProjectionSchema schema;
        QSet<QString> types;
        std::unique_ptr<ProjectionWriter> writer;
    };
    std::vector<Target> targets;
    QStringList declared;
    for (const ProjectionSpec &spec : domain->info().projections)
        declared << spec.name;
    for (const QString &wanted : projections) {
        if (!declared.contains(wanted))
            return Error::make(ErrorCode::NotFound, u"the pack %1 has no projection named %2 (it has: %3)"_s.arg(
                                                        domain->info().name, wanted, declared.join(u", "_s)));
    }
    if (auto st = rs->begin(); !st)
        return st.error();
    for (const ProjectionSpec &spec : domain->info().projections) {
        if (!projections.isEmpty() && !projections.contains(spec.name))
            continue;
        auto schema = ProjectionSchema::fromSpec(spec);
        if (!schema)
            return schema.error();
        if (auto st = rs->createTables(*schema, ReadStore::Tables::Live); !st)
            return st.error();
        ProjectionCheckpoint cp;
        cp.name = schema->name;
        cp.kind = schema->kind;
        cp.shape = schema->shape();
        cp.position = upTo;
        if (auto st = rs->saveCheckpoint(cp); !st)
            return st.error();
        Target t;
        t.schema = *schema;
        for (const QString &type : std::as_const(schema->eventTypes))
            t.types.insert(type);
        t.writer = std::make_unique<ProjectionWriter>(rs, *schema, ReadStore::Tables::Live);
        t.writer->setFresh(true);
        targets.push_back(std::move(t));
    }
    if (auto st = rs->commit(); !st)
        return st.error();

    EventRangeReader reader(store->database());
    qint64 from = 1;
    while (from <= upTo) {
        Result<EventList> events = Error{};
        if (reader.isValid()) {
            events = reader.read(from, upTo, AsOfBatchSize);
        } else {
            EventQuery q;
            q.fromPosition = from;
            q.toPosition = upTo;
            q.limit = AsOfBatchSize;
            events = store->query(q);
        }
        if (!events)
            return events.error();
        if (events->isEmpty())
            break;
        if (auto st = rs->begin(); !st)
            return st.error();
        // Projection by projection: each writes its own tables, so the order
        // between projections does not matter, only the order of events.
        for (Target &t : targets) {
            const QSet<qint64> skips = skipped.value(t.schema.name);
            for (qsizetype i = 0; i < events->size();) {
                Error failure;
                auto done = t.writer->applyEvents(domain, events->constData() + i, events->size() - i, t.types,
                                                  &failure);
                if (!done) {
                    rs->rollback();
                    return Error::make(done.error().code,
                                       u"as of position %1: %2"_s.arg(position).arg(done.error().message));
                }
                i += *done;
                if (i >= events->size())
                    break;
                if (!skips.contains(events->at(i).position)) {
                    rs->rollback();
                    return Error::make(failure.code, u"as of position %1: %2"_s.arg(position).arg(failure.message));
                }
                ++i;
            }
        }
        for (Target &t : targets) {
            if (auto changed = t.writer->flush(); !changed) {
                rs->rollback();
                return changed.error();
            }
        }
        if (auto st = rs->commit(); !st)
            return st.error();
        for (Target &t : targets)
            t.writer->committed();
        from = events->constLast().position + 1;
    }
    targets.clear();
    return scratch;
}

} // namespace es
