#pragma once

#include <QMainWindow>

#include <memory>

class QLabel;
class QMenu;
class QTimer;

namespace es {
class AsOfView;
class CommandConsole;
class DomainCompareView;
class CommandLogView;
class InspectorView;
class PipelineView;
class ProjectionsView;
class Session;
class StoreBanner;
class StreamsView;
class TimeTravelView;
class TimelineView;
class WhatIfView;
} // namespace es

// A thin host: menus, the status bar, and the docks. It opens stores and packs
// into a Session, hands the session to every view, and routes navigation
// requests between views ("show this event", "show this stream", "replay to
// here"); the views never know each other.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Returns false (and shows why) when the store cannot be opened; the current
    // store stays open then. packPath empty: the last pack used.
    bool openStore(const QString &path, bool readOnly, bool create = false, const QString &packPath = {});
    bool openDemoStore();
    // The PostgreSQL connection form (window-modal; opens the store when accepted).
    void showConnectDialog(bool create);
    bool loadPack(const QString &packPath);
    bool reloadPack();

    es::Session *session() const { return m_session.get(); }
    QString lastError() const { return m_lastError; }
    QString lastMessage() const { return m_lastMessage; }

    es::TimelineView *timeline() const { return m_timeline; }
    es::CommandConsole *console() const { return m_console; }
    es::InspectorView *inspector() const { return m_inspector; }
    es::StreamsView *streams() const { return m_streams; }
    es::CommandLogView *commandLog() const { return m_commandLog; }
    es::TimeTravelView *timeTravel() const { return m_timeTravel; }
    es::ProjectionsView *projectionsView() const { return m_projections; }
    es::PipelineView *pipeline() const { return m_pipeline; }
    es::AsOfView *asOf() const { return m_asOf; }
    es::WhatIfView *whatIf() const { return m_whatIf; }
    es::DomainCompareView *domainCompare() const { return m_compare; }
    // Across the top: a damaged store, or one that cannot be written here (hidden otherwise).
    es::StoreBanner *banner() const { return m_banner; }
    // The event last selected in the timeline (0: none), the target of the Explore menu.
    qint64 selectedPosition() const { return m_selectedPosition; }
    QString selectedStream() const { return m_selectedStream; }
    qint64 selectedVersion() const { return m_selectedVersion; }
    // Shows (and raises) the dock holding a view.
    void showDockOf(QWidget *view);

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void buildDocks();
    void applyDefaultDockSizes();
    void resetLayout();
    void buildMenus();
    void routeNavigation();
    void refreshRecentMenu();
    void updateStatus();
    void updateBanner();
    void setSessionOnViews();
    void showError(const QString &title, const QString &message);
    void showMessage(const QString &message);
    void flashLive();

    std::unique_ptr<es::Session> m_session;
    es::TimelineView *m_timeline;
    es::CommandConsole *m_console;
    es::InspectorView *m_inspector;
    es::StreamsView *m_streams;
    es::CommandLogView *m_commandLog;
    es::TimeTravelView *m_timeTravel;
    es::ProjectionsView *m_projections;
    es::PipelineView *m_pipeline;
    es::AsOfView *m_asOf;
    es::WhatIfView *m_whatIf;
    es::DomainCompareView *m_compare;
    es::StoreBanner *m_banner;
    QLabel *m_healthLabel;
    QLabel *m_historyLabel;
    qint64 m_selectedPosition = 0;
    QString m_selectedStream;
    qint64 m_selectedVersion = 0;
    QLabel *m_storeLabel;
    QLabel *m_packLabel;
    QLabel *m_headLabel;
    QLabel *m_modeLabel;
    QLabel *m_liveLabel;
    QTimer *m_liveTimer;
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QByteArray m_defaultState;
    bool m_restoredGeometry = false;
    bool m_restoredState = false;
    bool m_placed = false;
    QString m_lastError;
    QString m_lastMessage;
};
