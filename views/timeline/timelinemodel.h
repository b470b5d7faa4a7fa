#pragma once

#include "eventsearch.h"
#include "timelineloader.h"
#include "timelinewindow.h"

#include <QAbstractTableModel>
#include <QPointer>

class QThread;

namespace es {

class Session;

// The global log as a table model over a bounded window of rows (see
// TimelineWindow), loaded by a TimelineLoader off the GUI thread. Jumps
// re-anchor the window (a model reset); scrolling grows it by pages at its
// edges and trims the far side; appends — by this process or another one,
// through Session::eventsAppended — are rows inserted at the end when the
// window reaches the head. Positions, not row numbers, identify events.
class TimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        PositionColumn,
        TimeColumn,
        StreamColumn,
        VersionColumn,
        TypeColumn,
        ActorColumn,
        CorrelationColumn,
        PayloadColumn,
        ColumnCount
    };
    enum Role {
        PositionRole = Qt::UserRole + 1, // qint64
        EventTypeRole,                   // QString
        RecordedMsRole,                  // qint64
        StreamRole,                      // QString
    };
    // Why the window was re-anchored, echoed by anchored() so the view knows
    // whether to select the row, only scroll to it, or stick to the bottom.
    enum class Reason { Reveal, Scroll, Tail };
    Q_ENUM(Reason)

    static constexpr int AnchorRowsBefore = 150;
    static constexpr int AnchorRowsAfter = 250;
    static constexpr int PageRows = 500;

    explicit TimelineModel(QObject *parent = nullptr);
    ~TimelineModel() override;

    void setSession(Session *session);
    Session *session() const;

    const SearchFilter &filter() const { return m_filter; }
    // With a full-text filter: how many events match (counted in the loader,
    // up to TimelineRequest::CountCap; -1 while counting or without text).
    qint64 hitCount() const { return m_hitCount; }
    bool hitCountCapped() const { return m_hitCountCapped; }
    // Applies a filter and re-anchors at `anchorPosition` (0: the end).
    void setFilter(const SearchFilter &filter, qint64 anchorPosition);

    // Rows kept at most, and rows kept loaded beyond the visible ones.
    void setWindowCapacity(int rows, int margin);
    const TimelineWindow &window() const { return m_window; }

    // Re-anchors the window: rows around the first match at or after
    // `position` (<= 0: the last rows). Asynchronous: anchored() tells the row.
    void anchorAt(qint64 position, Reason reason);
    void anchorAtTime(qint64 ms, Reason reason);
    // The rows the view shows; drives edge loading and trimming.
    void setVisibleRows(int first, int last);

    qint64 head() const { return m_head; }
    bool isLoading() const { return m_anchorPending || m_beforePending || m_afterPending; }
    bool isAnchorPending() const { return m_anchorPending; }
    bool reachesEnd() const { return m_window.reachesEnd(m_head); }
    qint64 positionAt(int row) const;
    int rowOf(qint64 position) const { return m_window.rowOf(position); }
    const EventSummary *summaryAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString timeText(qint64 ms);

Q_SIGNALS:
    // A re-anchor landed; `row` is the row of the first match at or after the
    // position asked (the last row when there is none; -1 when empty).
    void anchored(int row, es::TimelineModel::Reason reason, qint64 requestedPosition);
    void headChanged(qint64 head);
    void hitCountChanged();
    void loadingChanged(bool loading);
    void errorOccurred(const QString &message);
    // Around trims, so a view can tell them from the user's own changes.
    void aboutToTrim();
    void trimmed();

private:
    void startLoader();
    void stopLoader();
    void send(TimelineRequest request);
    void onFetched(const TimelineResult &result);
    void onEventsAppended(const EventList &events);
    void applyAnchor(const TimelineResult &result);
    void insertTop(const EventSummaryList &fresh, qint64 newStart);
    void insertBottom(const EventSummaryList &fresh, qint64 newEnd);
    void trim(bool grewAtBottom);
    void fetchEdges();
    void setHead(qint64 head);
    void updateLoading();
    static EventSummary summaryOf(const RecordedEvent &event);

    QPointer<Session> m_session;
    TimelineWindow m_window;
    SearchFilter m_filter;
    qint64 m_hitCount = -1;
    bool m_hitCountCapped = false;
    TimelineLoader::Generation m_generation;
    TimelineLoader *m_loader = nullptr;
    QThread *m_thread = nullptr;
    qint64 m_head = 0;
    int m_visibleFirst = -1;
    int m_visibleLast = -1;
    bool m_anchorPending = false;
    bool m_beforePending = false;
    bool m_afterPending = false;
    bool m_wasLoading = false;
    bool m_positioning = false;
    Reason m_anchorReason = Reason::Tail;
    qint64 m_anchorRequested = 0;
};

} // namespace es
