#include "projectionworker.h"

#include "eventstore.h"
#include "jsdomain.h"
#include "projectionrunner.h"

#include <QLoggingCategory>
#include <QThread>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcProjectionHost, "eventscope.projections.host")

namespace es {

ProjectionWorker::ProjectionWorker(const Config &config)
    : m_config(config)
    , m_snapshotTimer(this)
    , m_rebuildTimer(this)
{
    m_snapshotTimer.setInterval(m_config.snapshotIntervalMs);
    m_rebuildTimer.setInterval(m_config.rebuildPollMs);
    connect(&m_snapshotTimer, &QTimer::timeout, this, &ProjectionWorker::emitSnapshot);
    connect(&m_rebuildTimer, &QTimer::timeout, this, &ProjectionWorker::pollRebuilds);
}

ProjectionWorker::~ProjectionWorker()
{
    // The runner must go before the domain it calls.
    m_runner.reset();
    m_domain.reset();
}

void ProjectionWorker::startup()
{
    auto domain = JsDomain::load(m_config.packPath);
    if (!domain) {
        Q_EMIT startFailed(domain.error().message);
        return;
    }
    m_domain = std::move(*domain);
    ProjectionRunner::Options options;
    auto runner = m_config.sharedStore ? ProjectionRunner::create(m_config.sharedStore, m_domain.get(), options)
                                       : ProjectionRunner::open(m_config.storePath, m_domain.get(), options);
    if (!runner) {
        m_domain.reset();
        Q_EMIT startFailed(runner.error().message);
        return;
    }
    m_runner = std::move(*runner);
    connect(m_runner.get(), &ProjectionRunner::statusChanged, this, &ProjectionWorker::statusChanged);
    connect(m_runner.get(), &ProjectionRunner::rowsChanged, this, &ProjectionWorker::rowsChanged);
    connect(m_runner.get(), &ProjectionRunner::projectionReset, this, &ProjectionWorker::projectionReset);
    connect(m_runner.get(), &ProjectionRunner::pagesInvalidated, this, &ProjectionWorker::pagesInvalidated);
    Q_EMIT started(schemas(), m_runner->statuses());
    m_runner->start();
    m_snapshotTimer.start();
    qCDebug(lcProjectionHost) << "projections running:" << m_runner->projections();
}

void ProjectionWorker::shutdown(QThread *home)
{
    m_snapshotTimer.stop();
    m_rebuildTimer.stop();
    if (m_runner)
        m_runner->stop();
    m_runner.reset();
    m_domain.reset();
    if (home && home != thread())
        moveToThread(home);
}

QList<ProjectionSchema> ProjectionWorker::schemas() const
{
    QList<ProjectionSchema> out;
    if (!m_runner)
        return out;
    for (const QString &name : m_runner->projections()) {
        if (const ProjectionSchema *s = m_runner->schema(name))
            out.append(*s);
    }
    return out;
}

void ProjectionWorker::reloadPack()
{
    if (!m_runner)
        return;
    auto domain = JsDomain::load(m_config.packPath);
    if (!domain) {
        Q_EMIT operationFailed(QString(), u"projections keep the previous pack: "_s + domain.error().message);
        return;
    }
    if (auto st = m_runner->setDomain(domain->get()); !st) {
        Q_EMIT operationFailed(QString(), u"projections keep the previous pack: "_s + st.error().message);
        return;
    }
    // The runner calls the new domain from now on; the old one can go.
    m_domain = std::move(*domain);
    for (auto it = m_rebuilds.constBegin(); it != m_rebuilds.constEnd(); ++it)
        Q_EMIT rebuildFinished(it.key(), false, u"cancelled: the pack was reloaded"_s);
    m_rebuilds.clear();
    m_rebuildTimer.stop();
    Q_EMIT packReloaded(schemas());
    emitSnapshot();
}

void ProjectionWorker::notifyAppended(const EventList &events)
{
    if (m_runner)
        m_runner->notifyAppended(events);
}

bool ProjectionWorker::check(const QString &name, const QString &what, bool ok, const QString &message)
{
    if (!ok)
        Q_EMIT operationFailed(name, u"%1 %2: %3"_s.arg(what, name, message));
    return ok;
}

void ProjectionWorker::pause(const QString &name)
{
    if (!m_runner)
        return;
    const Status st = m_runner->pause(name);
    check(name, u"cannot pause"_s, bool(st), st.error().message);
}

void ProjectionWorker::resume(const QString &name)
{
    if (!m_runner)
        return;
    const Status st = m_runner->resume(name);
    check(name, u"cannot resume"_s, bool(st), st.error().message);
}

void ProjectionWorker::skip(const QString &name, const QString &reason, const QString &actor)
{
    if (!m_runner)
        return;
    const Status st = m_runner->skip(name, reason, actor);
    check(name, u"cannot skip the event in"_s, bool(st), st.error().message);
}

void ProjectionWorker::setDelay(const QString &name, int delayMs)
{
    if (!m_runner)
        return;
    const Status st = m_runner->setDelay(name, delayMs);
    check(name, u"cannot set the delay of"_s, bool(st), st.error().message);
}

void ProjectionWorker::startRebuild(const QString &name)
{
    if (!m_runner)
        return;
    const Status st = m_runner->startRebuild(name, false);
    if (!check(name, u"cannot rebuild"_s, bool(st), st.error().message)) {
        Q_EMIT rebuildFinished(name, false, st.error().message);
        return;
    }
    m_rebuilds.insert(name, Rebuild());
    m_rebuildTimer.start();
    pollRebuilds();
}

void ProjectionWorker::cancelRebuild(const QString &name)
{
    if (!m_runner)
        return;
    const Status st = m_runner->cancelRebuild(name);
    if (m_rebuilds.remove(name))
        Q_EMIT rebuildFinished(name, false, QString());
    check(name, u"cannot cancel the rebuild of"_s, bool(st), st.error().message);
}

void ProjectionWorker::swapRebuild(const QString &name)
{
    if (!m_runner)
        return;
    const Status st = m_runner->swapShadow(name);
    if (!st) {
        // The shadow may still be there (a busy store): the user can retry or discard.
        Q_EMIT operationFailed(name, u"cannot swap in the rebuild of %1: %2"_s.arg(name, st.error().message));
        return;
    }
    m_rebuilds.remove(name);
    Q_EMIT rebuildFinished(name, true, QString());
    emitSnapshot();
}

void ProjectionWorker::pollRebuilds()
{
    if (!m_runner || m_rebuilds.isEmpty()) {
        m_rebuildTimer.stop();
        return;
    }
    // The runner's statusChanged follows the live checkpoint, not the shadow's:
    // the shadow's progress is read here instead.
    for (auto it = m_rebuilds.begin(); it != m_rebuilds.end();) {
        const QString name = it.key();
        auto status = m_runner->status(name);
        if (!status) {
            Q_EMIT rebuildFinished(name, false, status.error().message);
            it = m_rebuilds.erase(it);
            continue;
        }
        if (status->rebuildPosition < 0) {
            Q_EMIT rebuildFinished(name, false,
                                   status->rebuildError.isEmpty() ? u"the rebuild stopped"_s : status->rebuildError);
            it = m_rebuilds.erase(it);
            continue;
        }
        if (status->rebuildPosition != it->lastDone) {
            it->lastDone = status->rebuildPosition;
            Q_EMIT rebuildProgress(name, status->rebuildPosition, status->head);
        }
        if (status->shadowReady && !it->diffSent) {
            it->diffSent = true;
            auto diff = m_runner->shadowDiff(name, 50);
            if (!diff) {
                m_runner->cancelRebuild(name);
                Q_EMIT rebuildFinished(name, false, diff.error().message);
                it = m_rebuilds.erase(it);
                continue;
            }
            Q_EMIT rebuildReady(name, *diff);
        }
        ++it;
    }
    if (m_rebuilds.isEmpty())
        m_rebuildTimer.stop();
}

void ProjectionWorker::emitSnapshot()
{
    if (m_runner)
        Q_EMIT snapshot(m_runner->statuses());
}

} // namespace es
