#pragma once

#include <QMainWindow>

#include <memory>

class QLabel;
class QMenu;

namespace es {
class EventStore;
class StoreOverview;
} // namespace es

// A thin host: menus, the status bar, and the views. Opening a store happens
// here; views receive the store and never know each other.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Returns false (and shows why) when the file cannot be opened; the
    // current store stays open then.
    bool openStore(const QString &path, bool readOnly, bool create = false);
    bool openDemoStore();
    es::EventStore *store() const { return m_store.get(); }
    QString lastError() const { return m_lastError; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void refreshRecentMenu();
    void updateStatus();
    void showError(const QString &title, const QString &message);

    std::unique_ptr<es::EventStore> m_store;
    es::StoreOverview *m_overview;
    QLabel *m_storeLabel;
    QLabel *m_headLabel;
    QLabel *m_modeLabel;
    QMenu *m_recentMenu = nullptr;
    QString m_lastError;
};
