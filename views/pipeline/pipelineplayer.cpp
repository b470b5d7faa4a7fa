#include "pipelineplayer.h"

#include <cmath>

namespace es {

PipelinePlayer::PipelinePlayer(QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &PipelinePlayer::tick);
}

QList<QList<PipelineNodeRef>> PipelinePlayer::hops(const PipelineTrace &trace)
{
    QList<QList<PipelineNodeRef>> out;
    for (const PipelineStep &s : trace.steps)
        out.append({s.at});
    if (!trace.accepted())
        return out;
    QList<PipelineNodeRef> fan;
    for (const QString &p : trace.projectionsReached())
        fan.append({PipelineNode::Projection, p});
    for (const QString &r : trace.reactionsReached())
        fan.append({PipelineNode::Reaction, r});
    if (!fan.isEmpty())
        out.append(fan);
    if (!trace.projectionsReached().isEmpty())
        out.append({{PipelineNode::ReadStore, {}}});
    return out;
}

int PipelinePlayer::dwellMs(qint64 micros)
{
    return 350 + int(std::lround(200.0 * std::log10(1.0 + double(qMax<qint64>(0, micros)))));
}

bool PipelinePlayer::hasRoom(bool external) const
{
    return m_queue.size() < MaxQueued && (!external || m_queue.size() < MaxQueuedExternal);
}

void PipelinePlayer::addSkipped(int count)
{
    if (count <= 0)
        return;
    m_skipped += count;
    Q_EMIT queueChanged(queued(), m_skipped);
}

int PipelinePlayer::enqueue(const PipelineTrace &trace, bool external)
{
    if (!hasRoom(external)) {
        ++m_skipped;
        Q_EMIT queueChanged(queued(), m_skipped);
        return 0;
    }
    Flow f;
    f.trace = trace;
    f.external = external;
    f.serial = ++m_serial;
    f.hops = hops(trace);
    m_queue.append(f);
    Q_EMIT queueChanged(queued(), m_skipped);
    if (!m_current || m_finished)
        startNext();
    return f.serial;
}

void PipelinePlayer::clear()
{
    m_timer.stop();
    m_queue.clear();
    m_current.reset();
    m_hop = -1;
    m_finished = false;
    m_skipped = 0;
    Q_EMIT cleared();
    Q_EMIT queueChanged(0, 0);
}

void PipelinePlayer::setPlaying(bool playing)
{
    if (playing == m_playing)
        return;
    m_playing = playing;
    if (m_playing)
        schedule();
    else
        m_timer.stop();
    Q_EMIT playingChanged(m_playing);
}

void PipelinePlayer::setSuspended(bool suspended)
{
    if (suspended == m_suspended)
        return;
    m_suspended = suspended;
    if (m_suspended)
        m_timer.stop();
    else
        schedule();
}

void PipelinePlayer::setSpeed(double factor)
{
    m_speed = qBound(0.1, factor, 16.0);
}

bool PipelinePlayer::canStep() const
{
    return (m_current && !m_finished) || !m_queue.isEmpty();
}

bool PipelinePlayer::isFinished() const
{
    return m_current && m_finished;
}

bool PipelinePlayer::step()
{
    setPlaying(false);
    if (m_current && !m_finished) {
        if (m_hop + 1 < m_current->hops.size()) {
            ++m_hop;
            Q_EMIT hopChanged(m_current->serial, m_hop);
        } else {
            m_finished = true;
            Q_EMIT flowFinished(m_current->serial);
            if (!m_queue.isEmpty())
                startNext();
        }
        return true;
    }
    if (!m_queue.isEmpty()) {
        startNext();
        return true;
    }
    return false;
}

QList<PipelineNodeRef> PipelinePlayer::currentNodes() const
{
    if (!m_current || m_hop < 0 || m_hop >= m_current->hops.size())
        return {};
    return m_current->hops.at(m_hop);
}

int PipelinePlayer::travelMs() const
{
    return int(TravelMs / m_speed);
}

int PipelinePlayer::dwellMsAtHop() const
{
    if (!m_current || m_hop < 0)
        return int(dwellMs(0) / m_speed);
    if (m_hop < m_current->trace.steps.size())
        return int(dwellMs(m_current->trace.steps.at(m_hop).micros) / m_speed);
    int delay = 0;
    if (m_hop < m_current->hops.size())
        for (const PipelineNodeRef &n : m_current->hops.at(m_hop))
            if (n.node == PipelineNode::Projection)
                delay = qMax(delay, qMin(MaxShownDelayMs, m_delays.value(n.name)));
    return int((dwellMs(0) + delay) / m_speed);
}

void PipelinePlayer::setProjectionDelay(const QString &projection, int delayMs)
{
    m_delays.insert(projection, qMax(0, delayMs));
}

void PipelinePlayer::startNext()
{
    if (m_queue.isEmpty())
        return;
    m_current = m_queue.takeFirst();
    m_hop = 0;
    m_finished = false;
    Q_EMIT queueChanged(queued(), m_skipped);
    Q_EMIT flowStarted(m_current->serial);
    Q_EMIT hopChanged(m_current->serial, m_hop);
    schedule();
}

void PipelinePlayer::schedule()
{
    if (!m_playing || m_suspended || !m_current || m_finished) {
        m_timer.stop();
        return;
    }
    // Travelling to the node, then resting there as long as the stage deserves.
    m_timer.start(travelMs() + dwellMsAtHop());
}

void PipelinePlayer::tick()
{
    if (!m_current || m_finished)
        return;
    if (m_hop + 1 < m_current->hops.size()) {
        ++m_hop;
        Q_EMIT hopChanged(m_current->serial, m_hop);
        schedule();
        return;
    }
    m_finished = true;
    Q_EMIT flowFinished(m_current->serial);
    startNext();
}

} // namespace es
