#pragma once

#include "sandbox.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTabWidget;
class QTimer;

namespace es {

class CommandForm;
class ForkEventsModel;
class JsonTreeWidget;
class Session;

// The what-if sandbox: fork the open store at a position into an in-memory
// copy, skip or restore events, issue commands into the fork, and compare an
// aggregate or the read models of the original (as of the fork position) and
// of the fork side by side. Nothing in the real store changes. A command issued
// in the fork can be exported as a given/when/then case for the Node harness.
class WhatIfView : public QWidget {
    Q_OBJECT
public:
    explicit WhatIfView(QWidget *parent = nullptr);
    ~WhatIfView() override;

    void setSession(es::Session *session);
    Sandbox *sandbox() const { return m_sandbox; }
    ForkEventsModel *eventsModel() const { return m_events; }

    // The stream whose aggregate is compared.
    QString comparedStream() const;
    // Writes the fixture of command `index` (in the fork's command list) to a file.
    Status exportFixture(int index, const QString &path);

public Q_SLOTS:
    // Forks the store at a position (the lead wires "fork at the selected event" here).
    void forkAt(qint64 position);
    void forkAtHead();
    // Compares the aggregate of a stream, original vs fork.
    void compareStream(const QString &stream);
    void compareReadModels();

Q_SIGNALS:
    // Show this original event in the timeline.
    void revealEventRequested(qint64 position);

private:
    QWidget *buildCommandBox();
    QWidget *buildAggregateTab();
    QWidget *buildReadModelTab();
    void updateEnabled();
    void onForked();
    void onBusy(bool busy);
    void onProgress(const QString &stage, qint64 done, qint64 total);
    void onFailed(const QString &message);
    void onCommandChanged();
    void issueCommand();
    void refreshCommands();
    void refreshEvents();
    void refreshAggregate();
    void showProjections(const QList<ProjectionComparison> &result);
    void fillProjectionTable();
    void exportSelectedFixture();
    void applySkips();
    void setStatus(const QString &text, bool error = false);

    QPointer<Session> m_session;
    Sandbox *m_sandbox;
    ForkEventsModel *m_events;
    QList<ProjectionComparison> m_projections;

    QLabel *m_banner;
    QSpinBox *m_position;
    QPushButton *m_forkButton;
    QPushButton *m_headButton;
    QPushButton *m_discardButton;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QLabel *m_status;
    QTableView *m_eventsView;
    QTimer *m_skipTimer;

    QComboBox *m_command;
    QLineEdit *m_stream;
    CommandForm *m_form;
    QPushButton *m_issueButton;
    QLabel *m_outcome;
    QTableWidget *m_commands;
    QPushButton *m_exportButton;

    QTabWidget *m_tabs;
    QComboBox *m_compareStream;
    QLabel *m_aggregateSummary;
    QLabel *m_originalTitle;
    QLabel *m_forkTitle;
    JsonTreeWidget *m_originalTree;
    JsonTreeWidget *m_forkTree;

    QComboBox *m_projection;
    QPushButton *m_compareReadModels;
    QCheckBox *m_onlyDifferences;
    QLabel *m_readModelSummary;
    QTableWidget *m_rows;
};

} // namespace es
