#pragma once

#include "commandpipeline.h"

#include <QHash>
#include <QPointer>
#include <QSet>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QCompleter;
class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStringListModel;
class QTableView;
class QToolButton;

namespace es {

class HistoricalBanner;

class ElidedLabel;

class CommandForm;
class ConsoleHistoryModel;
class Session;

// Sends commands through the session's pipeline: pick an aggregate and a
// command, fill the form generated from its declared fields (or edit the
// payload as JSON), choose the stream (completion from existing streams, or a
// new id) and optionally the expected version, and send (Ctrl+Enter). The
// payload is validated before it leaves: nothing is sent while a field is
// wrong. The outcome shows inline: the events written (click one to reveal
// it), the reason of a rejection next to the fields at fault, a concurrency
// conflict explained, and the reaction commands that followed.
class CommandConsole : public QWidget {
    Q_OBJECT
public:
    // The As Of cursor (0: live): a marker saying what it means here.
    void setAsOfPosition(qint64 position);

    // Stream ids offered for completion.
    static constexpr int MaxCompletions = 20000;

    explicit CommandConsole(QWidget *parent = nullptr);
    ~CommandConsole() override;

    void setSession(es::Session *session);

    // Why commands cannot be sent now (empty when they can).
    QString disabledReason() const { return m_disabledReason; }
    bool isRawMode() const;
    void setRawMode(bool raw);
    // Selects a command ("Deposit" or "Account.Deposit"); false when the pack has none such.
    bool selectCommand(const QString &command);
    // The payload the form (or the JSON editor) holds, unvalidated.
    QJsonObject currentPayload() const;
    const CommandResult &lastResult() const { return m_lastResult; }
    bool hasResult() const { return m_hasResult; }
    ConsoleHistoryModel *historyModel() const { return m_history; }
    CommandForm *form() const { return m_form; }

public Q_SLOTS:
    // Validates and, when everything fits, sends. Returns false when nothing was sent.
    bool send();
    void newStreamId();
    // Loads a history entry back into the form; runs it again with rerun.
    void loadHistory(int row, bool rerun = false);

Q_SIGNALS:
    void revealEventRequested(qint64 position);

private:
    void updateAvailability();
    void rebuildCommands();
    void fillCommands();
    void onCommandChanged();
    void loadStreamNames();
    void updateCompletions();
    void updateStreamInfo();
    void onEventsAppended(const es::EventList &events);
    // Validates the payload; shows errors for touched fields (all with showAll).
    bool validate(bool showAll, QJsonObject *payload);
    void validateRaw(QJsonObject *payload, bool *ok);
    void showResult(const CommandResult &result);
    void showNotSent(const QString &why);
    QHash<QString, QString> eventOutcomes() const;
    void addEventItem(const RecordedEvent &event, int indent);
    QString currentAggregate() const;
    const CommandSpec *currentSpec() const;

    QPointer<Session> m_session;
    QString m_disabledReason;
    CommandResult m_lastResult;
    bool m_hasResult = false;
    bool m_rawMode = false;
    QSet<QString> m_touched;
    QHash<QString, QStringList> m_streamsByType;
    QHash<QString, qint64> m_idCounter;

    QLabel *m_status;
    QWidget *m_body;
    QComboBox *m_aggregateCombo;
    QComboBox *m_commandCombo;
    QLabel *m_description;
    QLineEdit *m_streamEdit;
    QToolButton *m_newId;
    ElidedLabel *m_streamInfo; // one line whatever it says: New id does not move the form
    QLabel *m_streamError;
    QStringListModel *m_streamNames;
    QCompleter *m_completer;
    QCheckBox *m_expectedCheck;
    QSpinBox *m_expectedSpin;
    QLineEdit *m_actorEdit;
    QToolButton *m_rawToggle;
    QWidget *m_formPage; // the form at its full height: the dock scrolls, not the form
    QWidget *m_rawPage;
    CommandForm *m_form;
    QPlainTextEdit *m_raw;
    QLabel *m_rawError;
    QPushButton *m_send;
    QLabel *m_outcome;
    QListWidget *m_outcomeEvents;
    ConsoleHistoryModel *m_history;
    QTableView *m_historyView;
    QPushButton *m_loadHistory;
    QPushButton *m_rerun;
    HistoricalBanner *m_historical = nullptr;
};

} // namespace es
