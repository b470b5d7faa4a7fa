#pragma once

#include "timetravel.h"

#include <QPointer>
#include <QWidget>

#include <memory>
#include <optional>

class QAction;
class QComboBox;
class QCompleter;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QStringListModel;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace es {

class BackgroundJob;
class JsonTreeWidget;
class MarkedSlider;
class Session;
class StateChangesModel;

// Time travel through one aggregate's stream: a cursor over its versions
// (set by version, global position or time; stepped, or played at a chosen
// speed), the state at the cursor with the fields its event changed
// highlighted, the event's before/after diff, blame (which event last set a
// field, and a jump there), snapshot markers, and bisect (the first version
// where a JavaScript predicate over the state holds).
//
// The stream's history is computed once per stream (in a worker thread for
// long streams, with progress and cancel); moving the cursor is then instant.
class TimeTravelView : public QWidget {
    Q_OBJECT
public:
    enum class CursorMode { Version, Position, Time };

    explicit TimeTravelView(QWidget *parent = nullptr);
    ~TimeTravelView() override;

    void setSession(es::Session *session);

    QString stream() const { return m_history ? m_history->stream : QString(); }
    qint64 version() const { return m_version; }
    QJsonObject state() const;
    const TravelHistory *history() const { return m_history ? &*m_history : nullptr; }
    bool isBusy() const;
    StateChangesModel *changesModel() const { return m_changes; }
    JsonTreeWidget *stateTree() const { return m_tree; }
    // Streams of at most this many events load on the GUI thread.
    static constexpr qint64 SynchronousLimit = 500;

public Q_SLOTS:
    // Opens a stream at a version (the inspector's "Replay to here").
    void showReplay(const QString &stream, qint64 version);
    void setVersion(qint64 version);
    void setCursorMode(es::TimeTravelView::CursorMode mode);
    void setPosition(qint64 position); // the last version at or before a global position
    void setTime(const QDateTime &time); // the last version at or before a time
    void stepBack();
    void stepForward();
    void first();
    void last();
    void setPlaying(bool playing);
    // The event that last set the field at the tree's current item.
    void goToBlame();
    // Runs the predicate in the bisect box over the stream's states.
    void findFirstTrue();
    void cancelWork();

Q_SIGNALS:
    void revealEventRequested(qint64 position);
    void showStreamRequested(const QString &stream);
    // The stream and version at the cursor changed.
    void cursorChanged(const QString &stream, qint64 version);
    // A history finished loading (or failed: the message says why).
    void historyLoaded(const QString &stream);
    void bisectFinished(bool found, qint64 version, const QString &message);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void buildUi();
    void openStream(const QString &stream, qint64 version);
    void loadHistory(const QString &stream, qint64 version, bool keepCursorAtEnd);
    void historyReady(TravelHistory history, qint64 version);
    void showCursor();
    void showBlame();
    void showMessage(const QString &text, bool error = false);
    void refreshCompletion();
    void onAppended(const EventList &events);
    void updateEnabled();
    void setBusy(bool busy, const QString &stage);
    void clearStream();

    Session *m_session = nullptr;
    std::optional<TravelHistory> m_history;
    qint64 m_version = 0;
    CursorMode m_mode = CursorMode::Version;
    QString m_pendingStream; // loading
    BackgroundJob *m_historyJob;
    BackgroundJob *m_bisectJob;

    QLineEdit *m_streamEdit = nullptr;
    QCompleter *m_completer = nullptr;
    QStringListModel *m_streamNames = nullptr;
    QPushButton *m_open = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_message = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QAction *m_firstAction = nullptr;
    QAction *m_backAction = nullptr;
    QAction *m_playAction = nullptr;
    QAction *m_forwardAction = nullptr;
    QAction *m_lastAction = nullptr;
    QAction *m_blameAction = nullptr;
    MarkedSlider *m_slider = nullptr;
    QComboBox *m_modeBox = nullptr;
    QStackedWidget *m_cursorStack = nullptr;
    QSpinBox *m_versionSpin = nullptr;
    QSpinBox *m_positionSpin = nullptr;
    QDateTimeEdit *m_timeEdit = nullptr;
    QSpinBox *m_speed = nullptr;
    QTimer *m_playTimer = nullptr;
    QLabel *m_event = nullptr;
    QToolButton *m_reveal = nullptr;
    QToolButton *m_showStream = nullptr;
    QLabel *m_snapshot = nullptr;
    QSplitter *m_splitter = nullptr;
    JsonTreeWidget *m_tree = nullptr;
    QTabWidget *m_tabs = nullptr;
    StateChangesModel *m_changes = nullptr;
    QTableView *m_changesView = nullptr;
    QLabel *m_blame = nullptr;
    QPushButton *m_blameGo = nullptr;
    QListWidget *m_blameHistory = nullptr;
    QLineEdit *m_predicate = nullptr;
    QPushButton *m_find = nullptr;
    QLabel *m_bisectResult = nullptr;
};

} // namespace es

Q_DECLARE_METATYPE(es::TimeTravelView::CursorMode)
