#pragma once

#include "pipelinetrace.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

#include <optional>

namespace es {

// The pipeline view's clock: a queue of command flows, the one being shown,
// and the hop its token is at. Playing, it advances by itself, each hop
// lasting long enough to be seen (scaled by the speed); paused, step()
// advances one hop. No drawing here: the view follows hopChanged.
class PipelinePlayer : public QObject {
    Q_OBJECT
public:
    // More queued flows from other processes than this are skipped (a generator
    // flooding the store); the trainer's own commands are always kept.
    static constexpr int MaxQueuedExternal = 5;
    // A hard ceiling for everything queued, so a long hidden session stays bounded.
    static constexpr int MaxQueued = 500;

    struct Flow {
        PipelineTrace trace;
        bool external = false; // seen through the store (another process), not sent here
        int serial = 0;        // 1, 2, ... in arrival order
        QList<QList<PipelineNodeRef>> hops;
    };

    explicit PipelinePlayer(QObject *parent = nullptr);

    // The stops of a flow's token(s): one node per hop on the write side, then all
    // the projections and reactions its events reach, then the read store.
    static QList<QList<PipelineNodeRef>> hops(const PipelineTrace &trace);
    // How long a token visibly rests at a stage that took `micros` (log-scaled), at speed 1.
    static int dwellMs(qint64 micros);
    static constexpr int TravelMs = 450;

    // Returns the flow's serial, or 0 when it was skipped.
    int enqueue(const PipelineTrace &trace, bool external);
    void clear();
    // Whether a flow would be queued now (false: enqueue would skip it).
    bool hasRoom(bool external) const;
    // Counts flows the caller dropped without building them (a flood: no lookups for them).
    void addSkipped(int count);

    bool isPlaying() const { return m_playing; }
    void setPlaying(bool playing);
    // Hidden views do not animate; a suspended player keeps its queue.
    void setSuspended(bool suspended);
    bool isSuspended() const { return m_suspended; }
    double speed() const { return m_speed; }
    // A projection's eventual-consistency delay lengthens the fan-out hop (capped at MaxShownDelayMs).
    void setProjectionDelay(const QString &projection, int delayMs);
    int projectionDelay(const QString &projection) const { return m_delays.value(projection); }
    static constexpr int MaxShownDelayMs = 5000;
    void setSpeed(double factor);

    // Advances one hop (or starts the next queued flow). False when there is nothing to advance to.
    bool step();
    bool canStep() const;

    const Flow *current() const { return m_current ? &*m_current : nullptr; }
    int hop() const { return m_hop; }
    bool isFinished() const; // the current flow reached its last hop and rested there
    QList<PipelineNodeRef> currentNodes() const;
    int queued() const { return int(m_queue.size()); }
    int skipped() const { return m_skipped; }

    // Scaled durations of the current hop, for the view's animations.
    int travelMs() const;
    int dwellMsAtHop() const;

Q_SIGNALS:
    void flowStarted(int serial);
    void hopChanged(int serial, int hop);
    void flowFinished(int serial);
    void queueChanged(int queued, int skipped);
    void playingChanged(bool playing);
    void cleared();

private:
    void startNext();
    void schedule();
    void tick();

    QList<Flow> m_queue;
    std::optional<Flow> m_current;
    int m_hop = -1;
    bool m_finished = false;
    bool m_playing = true;
    bool m_suspended = false;
    double m_speed = 1.0;
    int m_serial = 0;
    int m_skipped = 0;
    QHash<QString, int> m_delays;
    QTimer m_timer;
};

} // namespace es
