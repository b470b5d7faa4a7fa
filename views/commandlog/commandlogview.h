#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QModelIndex;
class QSortFilterProxyModel;
class QTableView;

namespace es {

class CommandLogModel;
class JsonTreeWidget;
class Session;

// Every command of the store's log: outcome (coloured), command, stream,
// actor, reason, a bar of its pipeline stage timings and the events it wrote.
// Follows this process's commands as they run and other processes' through
// the store; the selected command's full record shows beside the table.
class CommandLogView : public QWidget {
    Q_OBJECT
public:
    // Other processes' commands that wrote no event (rejections) change no
    // event: the log is re-read this often while the view is visible.
    static constexpr int PollIntervalMs = 1000;

    explicit CommandLogView(QWidget *parent = nullptr);
    ~CommandLogView() override;

    void setSession(es::Session *session);
    CommandLogModel *logModel() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_textProxy; }

Q_SIGNALS:
    void revealEventRequested(qint64 position);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void applyFilters();
    void updateCount();
    void showDetails(const QModelIndex &index);
    void loadOlder();
    void rememberScroll();
    void followScroll();

    QPointer<Session> m_session;
    CommandLogModel *m_model;
    QSortFilterProxyModel *m_outcomeProxy;
    QSortFilterProxyModel *m_textProxy;
    QComboBox *m_outcome;
    QLineEdit *m_filter;
    QLabel *m_count;
    QTableView *m_table;
    QLabel *m_detailsTitle;
    JsonTreeWidget *m_details;
    QTimer m_poll;
    bool m_wasAtBottom = true;
};

} // namespace es
