#pragma once

#include "eventsearch.h"

#include <QObject>
#include <QPointer>

#include <atomic>
#include <memory>

namespace es {

class EventStore;

// One read the timeline model asks for. Every request carries the model's
// generation at the time: when the model moves on (a jump, a new filter, a
// new store), requests and running queries of older generations are dropped.
struct TimelineRequest {
    enum Kind {
        Anchor,     // rows around `position` (<= 0 or past the head: the last rows)
        AnchorTime, // rows around the first event recorded at or after `timeMs`
        Before,     // a page of rows below `position`
        After,      // a page of rows above `position`
        Count,      // how many events match, up to CountCap
    };
    static constexpr qint64 CountCap = 10000;
    quint64 generation = 0;
    Kind kind = Anchor;
    qint64 position = 0;
    qint64 timeMs = 0;
    int before = 0; // Anchor: rows before the anchor; Before: the page size
    int after = 0;  // Anchor: rows from the anchor on; After: the page size
    SearchFilter filter;
};

struct TimelineResult {
    quint64 generation = 0;
    TimelineRequest::Kind kind = TimelineRequest::Anchor;
    EventSummaryList rows; // ascending
    // Every match in [start, end] is in rows.
    qint64 start = 1;
    qint64 end = 0;
    qint64 head = 0;
    qint64 anchorPosition = 0; // the position asked (a time resolved)
    int anchorRow = -1;        // the first row at or after it, else the last row
    qint64 elapsedUs = 0;
    qint64 count = 0;         // Count: the matches, at most CountCap
    bool countCapped = false; // Count: there are more
};

// Runs the timeline's reads on a connection of its own, in a worker thread
// (sqlitebrowser's RowLoader shape). An in-memory store cannot be opened
// twice: the loader then borrows the session's store and stays in its thread;
// requests are queued all the same.
class TimelineLoader : public QObject {
    Q_OBJECT
public:
    using Generation = std::shared_ptr<std::atomic<quint64>>;

    explicit TimelineLoader(Generation generation, QObject *parent = nullptr);
    ~TimelineLoader() override;

    // Called in the loader's thread (queued).
    void openStore(const QString &path);
    void useStore(EventStore *store);
    void fetch(const es::TimelineRequest &request);
    // Closes the connection in its own thread, then ends that thread's loop.
    void shutdown();

Q_SIGNALS:
    void fetched(const es::TimelineResult &result);
    void failed(const QString &message);

private:
    Result<TimelineResult> run(EventStore &store, const TimelineRequest &request);
    bool isStale(quint64 generation) const { return m_generation->load() != generation; }

    Generation m_generation;
    std::unique_ptr<EventStore> m_own;
    QPointer<EventStore> m_borrowed;
};

} // namespace es

Q_DECLARE_METATYPE(es::TimelineRequest)
Q_DECLARE_METATYPE(es::TimelineResult)
