#include "timelinewindow.h"

#include <algorithm>

namespace es {

TimelineWindow::TimelineWindow(int capacity, int margin)
    : m_capacity(capacity)
    , m_margin(margin)
{
}

void TimelineWindow::setCapacity(int capacity, int margin)
{
    m_capacity = std::max(1, capacity);
    m_margin = std::max(0, margin);
}

void TimelineWindow::reset(EventSummaryList ascending, qint64 start, qint64 end)
{
    m_rows = std::move(ascending);
    m_start = start;
    m_end = end;
}

void TimelineWindow::clear()
{
    m_rows.clear();
    m_start = 1;
    m_end = 0;
}

int TimelineWindow::rowAtOrAfter(qint64 position) const
{
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), position,
                                     [](const EventSummary &e, qint64 p) { return e.position < p; });
    return int(it - m_rows.cbegin());
}

int TimelineWindow::rowOf(qint64 position) const
{
    const int row = rowAtOrAfter(position);
    return row < size() && m_rows.at(row).position == position ? row : -1;
}

EventSummaryList TimelineWindow::freshBefore(const EventSummaryList &ascending) const
{
    EventSummaryList out;
    for (const EventSummary &e : ascending)
        if (e.position < m_start && (m_rows.isEmpty() || e.position < m_rows.constFirst().position))
            out.append(e);
    return out;
}

EventSummaryList TimelineWindow::freshAfter(const EventSummaryList &ascending) const
{
    EventSummaryList out;
    for (const EventSummary &e : ascending)
        if (e.position > m_end && (m_rows.isEmpty() || e.position > m_rows.constLast().position))
            out.append(e);
    return out;
}

void TimelineWindow::prepend(const EventSummaryList &fresh, qint64 newStart)
{
    m_rows = fresh + m_rows;
    m_start = std::min(m_start, newStart);
    if (m_end < m_start)
        m_end = m_rows.isEmpty() ? m_start - 1 : m_rows.constLast().position;
}

void TimelineWindow::append(const EventSummaryList &fresh, qint64 newEnd)
{
    m_rows.append(fresh);
    m_end = std::max(m_end, newEnd);
}

void TimelineWindow::removeTop(int count)
{
    count = std::clamp(count, 0, size());
    if (count == 0)
        return;
    // Every match up to the last removed row is gone: the window starts after it.
    m_start = m_rows.at(count - 1).position + 1;
    m_rows.remove(0, count);
}

void TimelineWindow::removeBottom(int count)
{
    count = std::clamp(count, 0, size());
    if (count == 0)
        return;
    m_end = m_rows.at(size() - count).position - 1;
    m_rows.remove(size() - count, count);
}

TimelineWindow::Edges TimelineWindow::edgesToFetch(int visibleFirst, int visibleLast, qint64 head) const
{
    Edges e;
    const bool nearTop = isEmpty() || (visibleFirst >= 0 && visibleFirst < m_margin);
    const bool nearBottom = isEmpty() || (visibleLast >= 0 && size() - 1 - visibleLast < m_margin);
    e.before = nearTop && !reachesStart();
    e.after = nearBottom && !reachesEnd(head);
    return e;
}

TimelineWindow::Trim TimelineWindow::trimFor(int visibleFirst, int visibleLast, bool grewAtBottom) const
{
    Trim t;
    // Trim in steps, not a few rows at every append: each trim is a row
    // removal the view and its selection model go through.
    if (size() <= m_capacity + m_capacity / 10)
        return t;
    const int excess = size() - m_capacity;
    if (visibleFirst < 0 || visibleLast < visibleFirst) {
        (grewAtBottom ? t.top : t.bottom) = excess;
        return t;
    }
    const int topRoom = std::max(0, visibleFirst - m_margin);
    const int bottomRoom = std::max(0, size() - 1 - visibleLast - m_margin);
    if (grewAtBottom) {
        t.top = std::min(excess, topRoom);
        t.bottom = std::min(excess - t.top, bottomRoom);
    } else {
        t.bottom = std::min(excess, bottomRoom);
        t.top = std::min(excess - t.bottom, topRoom);
    }
    return t;
}

} // namespace es
