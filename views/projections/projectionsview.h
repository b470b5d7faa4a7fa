#pragma once

#include "projectiontypes.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTextBrowser;
class QTimer;
class QToolButton;
class QGroupBox;
class QFrame;

namespace es {

class ProjectionHost;
class ProjectionStatusModel;
class ReadModelModel;
class RowDiffModel;
class SearchHitsModel;
class Session;
class ThroughputChart;

// The projections dashboard: every projection's state, position, lag and
// throughput; the selected one's throughput chart, its error with the poison
// event, its controls (pause, resume, skip, delay, rebuild with progress and a
// diff before the swap) and its read model, live: table rows with the changed
// ones highlighted, search hits with snippets, rendered pages.
class ProjectionsView : public QWidget {
    Q_OBJECT
public:
    explicit ProjectionsView(QWidget *parent = nullptr);
    ~ProjectionsView() override;

    void setSession(es::Session *session);
    QString currentProjection() const { return m_current; }

    ProjectionStatusModel *statusModel() const { return m_statusModel; }
    ReadModelModel *rowsModel() const { return m_rows; }
    SearchHitsModel *hitsModel() const { return m_hits; }
    RowDiffModel *diffModel() const { return m_diffModel; }
    ThroughputChart *chart() const { return m_chart; }

public Q_SLOTS:
    void selectProjection(const QString &name);
    void pauseCurrent();
    void resumeCurrent();
    // Asks for a reason, then skips the failed event (with an audit record).
    void skipCurrent();
    void rebuildCurrent();
    void refreshRows();

Q_SIGNALS:
    // "Inspect" on the poison event: show that event (the main window routes it).
    void revealEventRequested(qint64 position);

private:
    struct RebuildState {
        bool ready = false;
        qint64 done = 0;
        qint64 total = 0;
        ProjectionDiff diff;
    };

    ProjectionHost *host() const;
    void reloadProjections();
    void onStatusChanged(const es::ProjectionStatus &status);
    void onCurrentRowChanged();
    void updateDetail();
    void updateButtons();
    void updateMode();
    void updateChart();
    void updateRebuildPanel();
    void loadReadModel();
    void applyFilter();
    void runSearch();
    void showPreview();
    void sortBy(int section);
    void onRowsChanged(const QString &projection, const QStringList &keys);
    void onPagesInvalidated(const QString &projection, const QStringList &paths);
    void onProjectionReset(const QString &projection);
    void showError(const QString &message);
    void updateRowsCount();

    QPointer<Session> m_session;
    QString m_current;
    QHash<QString, RebuildState> m_rebuilds;
    qint64 m_shownErrorPosition = 0;

    ProjectionStatusModel *m_statusModel;
    ReadModelModel *m_rows;
    SearchHitsModel *m_hits;
    RowDiffModel *m_diffModel;

    QLabel *m_modeLabel;
    QToolButton *m_pause;
    QToolButton *m_resume;
    QToolButton *m_skip;
    QToolButton *m_rebuild;
    QFrame *m_confirmPanel = nullptr;
    QLabel *m_confirmText = nullptr;
    QSpinBox *m_delay;
    QLabel *m_message;
    QSplitter *m_split;
    QSplitter *m_topSplit;
    QTableView *m_table;
    ThroughputChart *m_chart;
    QFrame *m_errorPanel;
    QLabel *m_errorText;
    QLabel *m_errorEvent;
    QPushButton *m_inspect;
    QGroupBox *m_rebuildPanel;
    QLabel *m_rebuildLabel;
    QProgressBar *m_rebuildProgress;
    QPushButton *m_cancelRebuild;
    QLabel *m_diffSummary;
    QTableView *m_diffTable;
    QPushButton *m_swap;
    QPushButton *m_discard;
    QLabel *m_readTitle;
    QLineEdit *m_filter;
    QLineEdit *m_search;
    QLabel *m_rowsCount;
    QStackedWidget *m_readStack;
    QTableView *m_rowsTable;
    QTableView *m_hitsTable;
    QTextBrowser *m_preview;
    QTimer *m_searchTimer;
};

} // namespace es
