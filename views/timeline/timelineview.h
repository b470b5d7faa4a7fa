#pragma once

#include "eventsearch.h"
#include "scrollmap.h"
#include "types.h"

#include <QPointer>
#include <QWidget>

class QAbstractItemModel;
class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QScrollBar;
class QTableView;

namespace es {

class HistoricalBanner;

class Session;
class TimelineFilterBar;
class TimelineModel;
class TimelineDelegate;
class TimelineTable;

// The event timeline: the global log as a table (position, time, stream,
// version, type, actor, correlation, payload), lazy and windowed so that a
// store of any size opens at once and any position is one jump away; filters,
// full-text search, go to position or time, and follow-live.
//
// The table shows a window of rows (TimelineModel); the scrollbar beside it
// is the whole log, mapped to global positions (ScrollMap), and dragging it
// re-anchors the window.
class TimelineView : public QWidget {
    Q_OBJECT
public:
    // The As Of cursor (0: live): a marker saying what it means here.
    void setAsOfPosition(qint64 position);

    explicit TimelineView(QWidget *parent = nullptr);
    ~TimelineView() override;

    // nullptr allowed. A new store clears the filters and opens at its newest events.
    void setSession(es::Session *session);
    Session *session() const;

    QAbstractItemModel *model() const;
    TimelineModel *timelineModel() const { return m_model; }
    QTableView *tableView() const;
    QScrollBar *positionScrollBar() const { return m_scrollBar; }
    EventSearch *searchIndexer() const { return m_indexer; }

    SearchFilter filter() const;
    void setFilter(const SearchFilter &filter);
    bool followLive() const { return m_followLive; }
    // The position of the current (selected) event; 0 when none.
    qint64 currentPosition() const { return m_currentPosition; }
    // The position of the top row in view; 0 when empty.
    qint64 topPosition() const;
    // Maintains the full-text index in the background (read-write file stores only). On by default.
    void setIndexingEnabled(bool on);

public Q_SLOTS:
    void revealPosition(qint64 position);
    void revealTime(qint64 ms);
    void setStreamFilter(const QString &stream);
    void setCorrelationFilter(const QString &correlationId);
    void clearFilters();
    void setFollowLive(bool on);

Q_SIGNALS:
    void eventSelected(const es::RecordedEvent &event);
    void eventActivated(const es::RecordedEvent &event);
    void followLiveChanged(bool on);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void onAnchored(int row, int reason, qint64 requested);
    void onFilterChanged(const SearchFilter &filter);
    void onTableScrolled();
    void onScrollBarAction(int action);
    void onScrollBarValue(int value);
    void onCurrentRowChanged(const QModelIndex &current);
    void onRowsAboutToChange(int first);
    void onRowsInsertedAtTop(int first, int last);
    void onRowsRemovedAtTop(int first, int last);
    void onRowsAppended();
    void onGoto();
    void onUserScrolled();
    void updateScrollBar();
    void updateStatus();
    // Columns sized to what they hold (the head's digits, the longest event
    // type); the payload takes what is left, the correlation id comes last.
    void fitColumns();
    void scrollToNewest();
    void restoreCurrent();
    void startIndexer();
    RecordedEvent loadEvent(qint64 position) const;

    QPointer<Session> m_session;
    TimelineModel *m_model;
    TimelineFilterBar *m_filterBar;
    TimelineTable *m_table;
    TimelineDelegate *m_delegate = nullptr;
    bool m_userSizedColumns = false;
    bool m_fittingColumns = false;
    QScrollBar *m_scrollBar;
    QLineEdit *m_gotoEdit;
    QCheckBox *m_follow;
    QLabel *m_status;
    QAction *m_gotoAction;
    QAction *m_findAction;
    QAction *m_followAction;
    EventSearch *m_indexer;
    ScrollMap m_map;
    qint64 m_currentPosition = 0;
    qint64 m_revealPosition = 0; // asked for, not yet in the window
    int m_scrollBeforeChange = -1;
    bool m_followLive = true;
    bool m_indexingEnabled = true;
    bool m_syncingScrollBar = false;
    bool m_trimming = false;
    bool m_restoring = false;
    QString m_message;
    HistoricalBanner *m_historical = nullptr;
};

} // namespace es
