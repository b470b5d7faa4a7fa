#pragma once

#include "asof.h"

#include <QDateTime>
#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSortFilterProxyModel;
class QSpinBox;
class QStringListModel;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace es {

class AsOfRowsModel;
class AsOfStreamsModel;
class BackgroundJob;
class JsonTreeWidget;
class Session;

// One time cursor for the whole store: the streams, an aggregate's state and
// a projection's rows as of a global position (or a time). Projections are
// built into a scratch in-memory database in a worker thread, with progress
// and cancel; the live read store is never touched. While a cursor is set a
// HISTORICAL banner says so; Live (one click) returns to the head and
// follows it.
class AsOfView : public QWidget {
    Q_OBJECT
public:
    enum Tab { StreamsTab, AggregateTab, ProjectionsTab };

    explicit AsOfView(QWidget *parent = nullptr);
    ~AsOfView() override;

    void setSession(es::Session *session);

    bool isHistorical() const { return m_position >= 0; }
    // The as-of position (the head when live).
    qint64 position() const;
    QString aggregateStream() const { return m_aggregateStream; }
    QJsonObject aggregateState() const { return m_aggregateState; }
    QString projection() const;
    bool isBuilding() const;
    AsOfStreamsModel *streamsModel() const { return m_streams; }
    AsOfRowsModel *rowsModel() const { return m_rows; }

public Q_SLOTS:
    void setAsOfPosition(qint64 position);
    void setAsOfTime(const QDateTime &time); // the last position at or before the time
    void goLive();
    void showAggregate(const QString &stream);
    void setProjection(const QString &projection);
    // Builds the selected projection as of the cursor (in a worker).
    void buildProjection();
    void cancelBuild();

Q_SIGNALS:
    void showStreamRequested(const QString &stream);
    void revealEventRequested(qint64 position);
    void replayRequested(const QString &stream, qint64 version);
    // Entered or left the past (position -1 when live).
    void historicalChanged(bool historical, qint64 position);
    // The streams table (re)loaded for the cursor.
    void streamsLoaded(qint64 position);
    void projectionBuilt(const QString &projection, qint64 position);
    void projectionFailed(const QString &message);

private:
    void buildUi();
    void applyCursor();
    void refreshBanner();
    void loadStreams();
    void loadAggregate();
    void onAppended(const EventList &events);
    void refreshPackLists();
    QString selectedStream() const;
    bool runInline() const;

    Session *m_session = nullptr;
    qint64 m_position = -1; // -1: live
    qint64 m_head = 0;
    QString m_aggregateStream;
    QJsonObject m_aggregateState;
    qint64 m_aggregateVersion = 0;
    qint64 m_builtPosition = -1;
    QString m_builtProjection;
    bool m_projectionStale = true;

    BackgroundJob *m_streamsJob;
    BackgroundJob *m_projectionJob;
    QTimer *m_debounce;
    QTimer *m_liveRefresh;

    QLabel *m_banner = nullptr;
    QPushButton *m_live = nullptr;
    QSlider *m_slider = nullptr;
    QSpinBox *m_positionSpin = nullptr;
    QDateTimeEdit *m_timeEdit = nullptr;
    QTabWidget *m_tabs = nullptr;
    AsOfStreamsModel *m_streams = nullptr;
    QSortFilterProxyModel *m_streamsProxy = nullptr;
    QTableView *m_streamsView = nullptr;
    QLineEdit *m_streamFilter = nullptr;
    QLabel *m_streamCount = nullptr;
    QLineEdit *m_aggregateEdit = nullptr;
    QStringListModel *m_streamNames = nullptr;
    QLabel *m_aggregateInfo = nullptr;
    JsonTreeWidget *m_aggregateTree = nullptr;
    QPushButton *m_replay = nullptr;
    QComboBox *m_projectionBox = nullptr;
    QPushButton *m_build = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QLabel *m_projectionInfo = nullptr;
    AsOfRowsModel *m_rows = nullptr;
    QTableView *m_rowsView = nullptr;
};

} // namespace es
