#pragma once

#include "eventsearch.h"

namespace es {

// The slice of the (filtered) log that the timeline model exposes: rows in
// position order, and the position interval [start, end] inside which every
// matching event is among the rows. Edges grow by keyset pages, the far side
// is trimmed to the capacity, and QTableView never sees more than a bounded
// number of rows however long the log is.
//
// Pure bookkeeping, testable without a model or a view.
class TimelineWindow {
public:
    static constexpr int DefaultCapacity = 6000;
    static constexpr int DefaultMargin = 100;

    struct Edges {
        bool before = false;
        bool after = false;
    };
    struct Trim {
        int top = 0;
        int bottom = 0;
    };

    explicit TimelineWindow(int capacity = DefaultCapacity, int margin = DefaultMargin);

    int capacity() const { return m_capacity; }
    int margin() const { return m_margin; }
    void setCapacity(int capacity, int margin);

    void reset(EventSummaryList ascending, qint64 start, qint64 end);
    void clear();

    int size() const { return int(m_rows.size()); }
    bool isEmpty() const { return m_rows.isEmpty(); }
    const EventSummary &at(int row) const { return m_rows.at(row); }
    const EventSummaryList &rows() const { return m_rows; }
    qint64 start() const { return m_start; }
    qint64 end() const { return m_end; }
    bool reachesStart() const { return m_start <= 1; }
    bool reachesEnd(qint64 head) const { return m_end >= head; }

    int rowOf(qint64 position) const;        // -1 when not in the window
    int rowAtOrAfter(qint64 position) const; // size() when every row is before
    // The rows of a page that extend the window below its start / above its end.
    EventSummaryList freshBefore(const EventSummaryList &ascending) const;
    EventSummaryList freshAfter(const EventSummaryList &ascending) const;

    void prepend(const EventSummaryList &fresh, qint64 newStart);
    void append(const EventSummaryList &fresh, qint64 newEnd);
    void removeTop(int count);
    void removeBottom(int count);

    // Which edges to load, for a view showing rows [visibleFirst, visibleLast]
    // (-1: unknown) of a log whose last position is head.
    Edges edgesToFetch(int visibleFirst, int visibleLast, qint64 head) const;
    // How many rows to drop from each end to get back to the capacity, once
    // the window is a tenth over it, without touching the visible rows or their
    // margins. `grewAtBottom` says which end just grew: the other one is
    // trimmed first.
    Trim trimFor(int visibleFirst, int visibleLast, bool grewAtBottom) const;

private:
    EventSummaryList m_rows;
    qint64 m_start = 1;
    qint64 m_end = 0;
    int m_capacity;
    int m_margin;
};

} // namespace es
