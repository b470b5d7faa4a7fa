#include "commandconsole.h"

#include "common/historicalbanner.h"
#include "common/elidedlabel.h"
#include "common/naturalsortproxy.h"

#include "commandform.h"
#include "common/eventlistmodel.h"
#include "common/jsonerror.h"
#include "common/outcomestyle.h"
#include "common/teardown.h"
#include "consolehistorymodel.h"
#include "fieldeditor.h"
#include "session.h"
#include "validator.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QShortcut>
#include <QSpinBox>
#include <QStringListModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

using namespace Qt::StringLiterals;

namespace es {

namespace {
constexpr int PositionRole = Qt::UserRole + 1;

QString defaultActor()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME");
    return user.isEmpty() ? u"workbench"_s : user;
}

QString html(const QString &s)
{
    return s.toHtmlEscaped();
}

QString coloured(CommandOutcome o, const QString &text)
{
    return u"<span style=\"color:%1\"><b>%2</b></span>"_s.arg(outcomestyle::foreground(o).name(), text);
}
} // namespace

CommandConsole::CommandConsole(QWidget *parent)
    : QWidget(parent)
    , m_status(new QLabel(this))
    , m_body(new QWidget(this))
    , m_aggregateCombo(new QComboBox(this))
    , m_commandCombo(new QComboBox(this))
    , m_description(new QLabel(this))
    , m_streamEdit(new QLineEdit(this))
    , m_newId(new QToolButton(this))
    , m_streamInfo(new ElidedLabel(this))
    , m_streamError(new QLabel(this))
    , m_streamNames(new QStringListModel(this))
    , m_completer(new QCompleter(m_streamNames, this))
    , m_expectedCheck(new QCheckBox(tr("Expected version"), this))
    , m_expectedSpin(new QSpinBox(this))
    , m_actorEdit(new QLineEdit(defaultActor(), this))
    , m_rawToggle(new QToolButton(this))
    , m_formPage(new QWidget(this))
    , m_rawPage(new QWidget(this))
    , m_form(new CommandForm(this))
    , m_raw(new QPlainTextEdit(this))
    , m_rawError(new QLabel(this))
    , m_send(new QPushButton(tr("Send"), this))
    , m_outcome(new QLabel(this))
    , m_outcomeEvents(new QListWidget(this))
    , m_history(new ConsoleHistoryModel(this))
    , m_historyView(new QTableView(this))
    , m_loadHistory(new QPushButton(tr("Load"), this))
    , m_rerun(new QPushButton(tr("Run again"), this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_status->setObjectName(u"consoleStatus"_s);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::RichText);
    m_status->setStyleSheet(u"QLabel { background: #fff8e1; border: 1px solid #ffe082; padding: 6px; }"_s);
    m_historical = new HistoricalBanner(tr("As Of #%1 is set, but commands are written to the live store, after its head."), this);
    layout->addWidget(m_historical);
    layout->addWidget(m_status);
    layout->addWidget(m_body, 1);

    // --- the command and its target
    auto *bodyLayout = new QVBoxLayout(m_body);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    auto *top = new QWidget(m_body);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto *target = new QFormLayout;
    target->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_aggregateCombo->setObjectName(u"aggregateCombo"_s);
    m_commandCombo->setObjectName(u"commandCombo"_s);
    auto *pick = new QHBoxLayout;
    pick->addWidget(m_aggregateCombo, 1);
    pick->addWidget(m_commandCombo, 2);
    target->addRow(tr("Command"), pick);
    m_description->setObjectName(u"commandDescription"_s);
    m_description->setWordWrap(true);
    m_description->setStyleSheet(u"color: palette(mid);"_s);
    target->addRow(m_description);

    m_streamEdit->setObjectName(u"streamEdit"_s);
    m_streamEdit->setPlaceholderText(tr("stream id, e.g. account-1"));
    m_streamEdit->setClearButtonEnabled(true);
    m_completer->setObjectName(u"streamCompleter"_s);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setFilterMode(Qt::MatchContains);
    m_completer->setMaxVisibleItems(12);
    m_streamEdit->setCompleter(m_completer);
    m_newId->setObjectName(u"newIdButton"_s);
    m_newId->setText(tr("New id"));
    m_newId->setToolTip(tr("An unused stream id in the aggregate's pattern"));
    // The stream, its inline error and what the store knows of it, in one cell.
    auto *streamCell = new QVBoxLayout;
    streamCell->setSpacing(2);
    auto *streamRow = new QHBoxLayout;
    streamRow->addWidget(m_streamEdit, 1);
    streamRow->addWidget(m_newId);
    streamCell->addLayout(streamRow);
    m_streamError->setObjectName(u"streamError"_s);
    m_streamError->setStyleSheet(u"color: #c62828;"_s);
    m_streamError->setWordWrap(true);
    m_streamError->hide();
    streamCell->addWidget(m_streamError);
    m_streamInfo->setObjectName(u"streamInfoLabel"_s);
    streamCell->addWidget(m_streamInfo);
    auto *streamLabel = new QLabel(tr("Stream <span style=\"color:#c62828\">*</span>"), this);
    streamLabel->setBuddy(m_streamEdit);
    target->addRow(streamLabel, streamCell);

    m_expectedCheck->setObjectName(u"expectedCheck"_s);
    m_expectedCheck->setToolTip(tr("Optimistic concurrency: send only if the stream is still at this version "
                                   "(0: the stream must not exist yet)"));
    m_expectedSpin->setObjectName(u"expectedSpin"_s);
    m_expectedSpin->setRange(0, std::numeric_limits<int>::max());
    m_expectedSpin->setEnabled(false);
    m_expectedSpin->setMinimumWidth(m_expectedSpin->fontMetrics().horizontalAdvance(u"0000000"_s) + 30);
    auto *expectedRow = new QHBoxLayout;
    expectedRow->addWidget(m_expectedCheck);
    expectedRow->addWidget(m_expectedSpin, 1);
    target->addRow(expectedRow);
    m_actorEdit->setObjectName(u"actorEdit"_s);
    m_actorEdit->setToolTip(tr("Recorded as the command's and its events' actor"));
    target->addRow(tr("Actor"), m_actorEdit);
    topLayout->addLayout(target);

    // --- the payload: form or JSON
    auto *payloadHeader = new QHBoxLayout;
    auto *payloadTitle = new QLabel(tr("<b>Payload</b> <span style=\"color:gray\">(<span style=\"color:#c62828\">*</span> required)</span>"), this);
    payloadHeader->addWidget(payloadTitle, 1);
    m_rawToggle->setObjectName(u"rawToggle"_s);
    m_rawToggle->setText(tr("{ } JSON"));
    m_rawToggle->setCheckable(true);
    m_rawToggle->setToolTip(tr("Edit the payload as JSON"));
    payloadHeader->addWidget(m_rawToggle);
    topLayout->addLayout(payloadHeader);

    // Form or JSON: only one is shown, and the layout sizes to the one shown.
    // No scroll area of its own: a squashed form in a little scroll box is hard to
    // fill in; when the dock is too short the whole console scrolls instead.
    m_formPage->setObjectName(u"formPage"_s);
    auto *formLayout = new QVBoxLayout(m_formPage);
    formLayout->setContentsMargins(0, 0, 0, 0);
    m_form->setObjectName(u"commandForm"_s);
    formLayout->addWidget(m_form);
    topLayout->addWidget(m_formPage);
    auto *rawLayout = new QVBoxLayout(m_rawPage);
    rawLayout->setContentsMargins(0, 0, 0, 0);
    m_raw->setObjectName(u"rawEdit"_s);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_raw->setTabChangesFocus(true);
    m_raw->setMinimumHeight(m_raw->fontMetrics().lineSpacing() * 6 + 10);
    rawLayout->addWidget(m_raw, 1);
    m_rawError->setObjectName(u"rawError"_s);
    m_rawError->setWordWrap(true);
    m_rawError->setStyleSheet(u"color: #c62828;"_s);
    rawLayout->addWidget(m_rawError);
    m_rawPage->hide();
    topLayout->addWidget(m_rawPage, 10);

    auto *sendRow = new QHBoxLayout;
    auto *sendHint = new QLabel(tr("Ctrl+Enter"), this);
    sendHint->setStyleSheet(u"color: palette(mid);"_s);
    sendRow->addStretch(1);
    sendRow->addWidget(sendHint);
    m_send->setObjectName(u"sendButton"_s);
    m_send->setDefault(false);
    m_send->setAutoDefault(false);
    m_send->setToolTip(tr("Validate and send the command (Ctrl+Enter)"));
    sendRow->addWidget(m_send);
    topLayout->addLayout(sendRow);

    // --- the outcome, right under Send
    auto *outcomeLayout = topLayout;
    m_outcome->setObjectName(u"outcomeLabel"_s);
    m_outcome->setWordWrap(true);
    m_outcome->setTextFormat(Qt::RichText);
    m_outcome->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_outcome->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    outcomeLayout->addWidget(m_outcome);
    m_outcomeEvents->setObjectName(u"outcomeEvents"_s);
    m_outcomeEvents->setToolTip(tr("Click an event to show it in the timeline"));
    m_outcomeEvents->setUniformItemSizes(true);
    outcomeLayout->addWidget(m_outcomeEvents, 100);
    outcomeLayout->addStretch(1); // takes the room while there is no list to show
    m_outcomeEvents->hide();

    // --- the history
    auto *historyBox = new QWidget(m_body);
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    auto *historyHeader = new QHBoxLayout;
    historyHeader->addWidget(new QLabel(tr("<b>History</b>"), this), 1);
    m_loadHistory->setObjectName(u"loadHistoryButton"_s);
    m_loadHistory->setToolTip(tr("Load the selected command into the form (or double-click it)"));
    m_rerun->setObjectName(u"rerunButton"_s);
    m_rerun->setToolTip(tr("Send the selected command again, as a new command"));
    for (QPushButton *b : {m_loadHistory, m_rerun}) {
        b->setAutoDefault(false);
        b->setEnabled(false);
        historyHeader->addWidget(b);
    }
    historyLayout->addLayout(historyHeader);
    m_historyView->setObjectName(u"historyTable"_s);
    m_historyView->setModel(m_history);
    m_historyView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_historyView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_historyView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_historyView->verticalHeader()->hide();
    m_historyView->verticalHeader()->setDefaultSectionSize(m_historyView->fontMetrics().height() + 6);
    m_historyView->horizontalHeader()->setStretchLastSection(true);
    m_historyView->resizeColumnsToContents(); // the headers' widths until rows come
    m_historyView->setWordWrap(false);
    historyLayout->addWidget(m_historyView, 1);

    // One column, no splitter: wrapped lines (the outcome, field errors) then
    // ask their real height, and when the dock is short the console scrolls.
    m_historyView->setMinimumHeight(m_historyView->verticalHeader()->defaultSectionSize() * 4 +
                                    m_historyView->horizontalHeader()->sizeHint().height() + 4);
    bodyLayout->addWidget(top);
    bodyLayout->addWidget(historyBox, 1);

    // --- behaviour
    connect(m_aggregateCombo, &QComboBox::currentIndexChanged, this, [this] {
        fillCommands();
        updateCompletions();
        updateStreamInfo();
    });
    connect(m_commandCombo, &QComboBox::currentIndexChanged, this, &CommandConsole::onCommandChanged);
    connect(m_streamEdit, &QLineEdit::textChanged, this, [this] {
        m_streamError->hide();
        m_streamEdit->setProperty("fieldError", QString());
        updateStreamInfo();
    });
    connect(m_newId, &QToolButton::clicked, this, &CommandConsole::newStreamId);
    connect(m_expectedCheck, &QCheckBox::toggled, this, [this](bool on) {
        m_expectedSpin->setEnabled(on);
        if (on && m_session) {
            // Start from what the stream is at now: the usual expectation.
            const auto info = m_session->store()->streamInfo(m_streamEdit->text().trimmed());
            m_expectedSpin->setValue(info ? int(info->version) : 0);
        }
    });
    connect(m_form, &CommandForm::edited, this, [this](const QString &field) {
        m_touched.insert(field);
        validate(false, nullptr);
    });
    connect(m_rawToggle, &QToolButton::toggled, this, &CommandConsole::setRawMode);
    connect(m_raw, &QPlainTextEdit::textChanged, this, [this] {
        bool ok = false;
        validateRaw(nullptr, &ok);
    });
    connect(m_send, &QPushButton::clicked, this, &CommandConsole::send);
    for (const QKeySequence &keys : {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto *shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, &CommandConsole::send);
    }
    connect(m_outcomeEvents, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        const qint64 position = item->data(PositionRole).toLongLong();
        if (position > 0)
            Q_EMIT revealEventRequested(position);
    });
    connect(m_historyView, &QTableView::doubleClicked, this,
            [this](const QModelIndex &index) { loadHistory(index.row()); });
    connect(m_historyView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                m_loadHistory->setEnabled(current.isValid());
                m_rerun->setEnabled(current.isValid() && m_disabledReason.isEmpty());
            });
    connect(m_loadHistory, &QPushButton::clicked, this,
            [this] { loadHistory(m_historyView->currentIndex().row()); });
    connect(m_rerun, &QPushButton::clicked, this, [this] { loadHistory(m_historyView->currentIndex().row(), true); });

    setSession(nullptr);
}

CommandConsole::~CommandConsole()
{
    disconnectDescendants(this);
}

// ---------------------------------------------------------------- session

void CommandConsole::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_idCounter.clear();
    m_hasResult = false;
    m_outcome->clear();
    m_outcomeEvents->clear();
    if (m_session) {
        connect(m_session, &Session::packChanged, this, &CommandConsole::rebuildCommands);
        connect(m_session, &Session::eventsAppended, this, &CommandConsole::onEventsAppended);
        connect(m_session, &Session::readOnlyChanged, this, &CommandConsole::updateAvailability);
    }
    loadStreamNames();
    rebuildCommands();
}

void CommandConsole::updateAvailability()
{
    if (!m_session)
        m_disabledReason = tr("No store is open: open or create a store to send commands.");
    else if (!m_session->readOnlyReason().isEmpty())
        m_disabledReason =
            tr("This store is open read-only: commands cannot be sent. %1").arg(m_session->readOnlyReason());
    else if (m_session->isReadOnly() || m_session->store()->isReadOnly())
        m_disabledReason = tr("This store is open read-only: commands cannot be sent. Reopen it for writing to use "
                              "the console.");
    else if (!m_session->domain())
        m_disabledReason = tr("No domain pack is loaded: the console needs one to know the commands. Load a pack "
                              "(Domain ▸ Load Pack).");
    else if (m_aggregateCombo->count() == 0)
        m_disabledReason = tr("The domain pack declares no commands.");
    else
        m_disabledReason.clear();
    m_status->setText(m_disabledReason.isEmpty() ? QString() : u"<b>%1</b> %2"_s.arg(tr("Console disabled."),
                                                                                        html(m_disabledReason)));
    m_status->setVisible(!m_disabledReason.isEmpty());
    m_body->setEnabled(m_disabledReason.isEmpty());
}

void CommandConsole::rebuildCommands()
{
    // Keeps the command and what was typed across a pack reload when the command still exists.
    const QString aggregate = m_aggregateCombo->currentText();
    const QString command = m_commandCombo->currentText();
    const QJsonObject payload = m_form->spec().name.isEmpty() ? QJsonObject() : currentPayload();
    {
        const QSignalBlocker block(m_aggregateCombo);
        m_aggregateCombo->clear();
        if (m_session && m_session->domain()) {
            for (const AggregateSpec &a : m_session->domain()->info().aggregates) {
                if (a.commands.isEmpty())
                    continue;
                m_aggregateCombo->addItem(a.name);
                m_aggregateCombo->setItemData(m_aggregateCombo->count() - 1, a.description, Qt::ToolTipRole);
            }
        }
        const int i = m_aggregateCombo->findText(aggregate);
        m_aggregateCombo->setCurrentIndex(i >= 0 ? i : (m_aggregateCombo->count() > 0 ? 0 : -1));
    }
    m_aggregateCombo->setVisible(m_aggregateCombo->count() > 1);
    fillCommands();
    if (const int i = m_commandCombo->findText(command); i >= 0 && !command.isEmpty()) {
        m_commandCombo->setCurrentIndex(i);
        m_form->setPayload(payload);
    }
    updateCompletions();
    updateStreamInfo();
    updateAvailability();
}

void CommandConsole::fillCommands()
{
    {
        const QSignalBlocker block(m_commandCombo);
        m_commandCombo->clear();
        if (m_session && m_session->domain()) {
            if (const AggregateSpec *a = m_session->domain()->info().aggregate(currentAggregate())) {
                for (const CommandSpec &c : a->commands) {
                    m_commandCombo->addItem(c.name);
                    m_commandCombo->setItemData(m_commandCombo->count() - 1, c.description, Qt::ToolTipRole);
                }
            }
        }
        m_commandCombo->setCurrentIndex(m_commandCombo->count() > 0 ? 0 : -1);
    }
    onCommandChanged();
}

QString CommandConsole::currentAggregate() const
{
    return m_aggregateCombo->currentText();
}

const CommandSpec *CommandConsole::currentSpec() const
{
    if (!m_session || !m_session->domain())
        return nullptr;
    const AggregateSpec *a = m_session->domain()->info().aggregate(currentAggregate());
    if (!a)
        return nullptr;
    for (const CommandSpec &c : a->commands)
        if (c.name == m_commandCombo->currentText())
            return &c;
    return nullptr;
}

bool CommandConsole::selectCommand(const QString &command)
{
    const qsizetype dot = command.indexOf(u'.');
    const QString aggregate = dot >= 0 ? command.left(dot) : QString();
    const QString name = dot >= 0 ? command.mid(dot + 1) : command;
    if (!m_session || !m_session->domain())
        return false;
    for (const AggregateSpec &a : m_session->domain()->info().aggregates) {
        if (!aggregate.isEmpty() && a.name != aggregate)
            continue;
        for (const CommandSpec &c : a.commands) {
            if (c.name != name)
                continue;
            m_aggregateCombo->setCurrentIndex(m_aggregateCombo->findText(a.name));
            m_commandCombo->setCurrentIndex(m_commandCombo->findText(c.name));
            return true;
        }
    }
    return false;
}

void CommandConsole::onCommandChanged()
{
    m_touched.clear();
    // "Not sent: fix the fields" spoke of the previous command's form.
    if (!m_hasResult)
        m_outcome->clear();
    m_streamError->hide();
    const CommandSpec *spec = currentSpec();
    m_form->setSpec(spec ? *spec : CommandSpec());
    m_description->setText(spec ? spec->description : QString());
    m_description->setVisible(spec && !spec->description.isEmpty());
    if (isRawMode()) {
        const QSignalBlocker block(m_raw);
        m_raw->setPlainText(QString::fromUtf8(QJsonDocument(m_form->payload()).toJson(QJsonDocument::Indented)));
        bool ok = false;
        validateRaw(nullptr, &ok);
    }
}

// ---------------------------------------------------------------- streams

void CommandConsole::loadStreamNames()
{
    m_streamsByType.clear();
    if (m_session) {
        if (auto streams = m_session->store()->streams({}, MaxCompletions)) {
            for (const StreamInfo &s : std::as_const(*streams))
                m_streamsByType[s.type].append(s.stream);
        }
    }
}

void CommandConsole::updateCompletions()
{
    QStringList names = m_streamsByType.value(currentAggregate());
    NaturalSortProxy::sort(names);
    m_streamNames->setStringList(names);
}

void CommandConsole::onEventsAppended(const EventList &events)
{
    bool added = false;
    for (const RecordedEvent &e : events) {
        if (e.version != 1)
            continue;
        if (const auto info = m_session->store()->streamInfo(e.stream)) {
            QStringList &list = m_streamsByType[info->type];
            if (!list.contains(e.stream)) {
                list.append(e.stream);
                added = added || info->type == currentAggregate();
            }
        }
    }
    if (added)
        updateCompletions();
    const QString stream = m_streamEdit->text().trimmed();
    for (const RecordedEvent &e : events) {
        if (e.stream == stream) {
            updateStreamInfo();
            break;
        }
    }
}

void CommandConsole::updateStreamInfo()
{
    const QString stream = m_streamEdit->text().trimmed();
    if (!m_session || stream.isEmpty()) {
        m_streamInfo->clear();
        return;
    }
    const auto info = m_session->store()->streamInfo(stream);
    if (!info) {
        m_streamInfo->setColor(Qt::gray);
        m_streamInfo->setText(tr("A new stream: the command will start it."));
    } else if (!info->type.isEmpty() && info->type != currentAggregate()) {
        m_streamInfo->setColor(QColor(0xbf, 0x36, 0x0c));
        m_streamInfo->setText(tr("%1 is a %2 stream, not %3.").arg(stream, info->type, currentAggregate()));
    } else {
        m_streamInfo->setColor(Qt::gray);
        m_streamInfo->setText(tr("At version %1, last event %2 UTC.")
                                  .arg(info->version)
                                  .arg(QDateTime::fromMSecsSinceEpoch(info->lastMs, Qt::UTC)
                                           .toString(u"yyyy-MM-dd HH:mm:ss"_s)));
    }
}

void CommandConsole::newStreamId()
{
    if (!m_session || !m_session->domain())
        return;
    const AggregateSpec *a = m_session->domain()->info().aggregate(currentAggregate());
    if (!a)
        return;
    qint64 n = m_idCounter.value(a->name, 0);
    if (n <= 0)
        n = m_streamsByType.value(a->name).size() + 1;
    QString id;
    for (int tries = 0; tries < 10000; ++tries, ++n) {
        id = a->newStreamId(n, QRandomGenerator::global()->generate());
        if (!m_session->store()->streamInfo(id))
            break;
    }
    m_idCounter.insert(a->name, n + 1);
    m_streamEdit->setText(id);
    m_streamEdit->setFocus();
}

// ---------------------------------------------------------------- payload

bool CommandConsole::isRawMode() const
{
    return m_rawMode;
}

void CommandConsole::setRawMode(bool raw)
{
    if (raw == isRawMode()) {
        const QSignalBlocker block(m_rawToggle);
        m_rawToggle->setChecked(raw);
        return;
    }
    if (raw) {
        const QSignalBlocker block(m_raw);
        m_raw->setPlainText(QString::fromUtf8(QJsonDocument(m_form->payload()).toJson(QJsonDocument::Indented)));
        m_rawMode = true;
        m_formPage->hide();
        m_rawPage->show();
        bool ok = false;
        validateRaw(nullptr, &ok);
        m_raw->setFocus();
    } else {
        QJsonValue value;
        QString error;
        if (!parseJsonValue(m_raw->toPlainText(), &value, &error) || !value.isObject()) {
            // Stay: going back would lose what was typed.
            m_rawError->setText(tr("Fix the JSON to go back to the form: %1")
                                    .arg(error.isEmpty() ? tr("the payload must be an object") : error));
            const QSignalBlocker block(m_rawToggle);
            m_rawToggle->setChecked(true);
            return;
        }
        const QJsonObject object = value.toObject();
        m_form->setPayload(object);
        m_rawMode = false;
        m_rawPage->hide();
        m_formPage->show();
        m_touched.clear();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            m_touched.insert(it.key());
        validate(false, nullptr);
    }
    const QSignalBlocker block(m_rawToggle);
    m_rawToggle->setChecked(raw);
}

QJsonObject CommandConsole::currentPayload() const
{
    if (isRawMode()) {
        QJsonValue v;
        return parseJsonValue(m_raw->toPlainText(), &v, nullptr) ? v.toObject() : QJsonObject();
    }
    return m_form->payload();
}

bool CommandConsole::validate(bool showAll, QJsonObject *payload)
{
    const CommandSpec *spec = currentSpec();
    if (!spec)
        return false;
    if (isRawMode()) {
        bool ok = false;
        validateRaw(payload, &ok);
        return ok;
    }
    QJsonObject inputErrors;
    const QJsonObject p = m_form->payload(&inputErrors);
    QJsonObject errors = validatePayload(*spec, p);
    for (auto it = inputErrors.constBegin(); it != inputErrors.constEnd(); ++it)
        errors.insert(it.key(), it.value()); // "not a number" says more than "required"
    if (showAll) {
        for (const FieldSpec &f : spec->fields)
            m_touched.insert(f.name);
    }
    QJsonObject shown;
    for (auto it = errors.constBegin(); it != errors.constEnd(); ++it)
        if (m_touched.contains(it.key()))
            shown.insert(it.key(), it.value());
    m_form->showErrors(shown);
    if (payload)
        *payload = p;
    return errors.isEmpty();
}

void CommandConsole::validateRaw(QJsonObject *payload, bool *ok)
{
    *ok = false;
    const CommandSpec *spec = currentSpec();
    QJsonValue value;
    QString error;
    if (!parseJsonValue(m_raw->toPlainText(), &value, &error)) {
        m_rawError->setText(tr("Malformed JSON, %1").arg(error));
        return;
    }
    if (!value.isObject()) {
        m_rawError->setText(tr("The payload must be a JSON object, not an array."));
        return;
    }
    const QJsonObject object = value.toObject();
    if (payload)
        *payload = object;
    const QJsonObject errors = spec ? validatePayload(*spec, object) : QJsonObject();
    QStringList lines;
    for (auto it = errors.constBegin(); it != errors.constEnd(); ++it)
        lines << u"%1: %2"_s.arg(it.key(), it.value().toString());
    m_rawError->setText(lines.join(u'\n'));
    *ok = errors.isEmpty();
}

// ---------------------------------------------------------------- sending

bool CommandConsole::send()
{
    if (!m_disabledReason.isEmpty() || !m_session)
        return false;
    const CommandSpec *spec = currentSpec();
    if (!spec)
        return false;
    QJsonObject payload;
    bool ok = validate(true, &payload);
    const QString stream = m_streamEdit->text().trimmed();
    if (stream.isEmpty()) {
        m_streamError->setText(tr("required: the stream the command is for"));
        m_streamError->show();
        m_streamEdit->setProperty("fieldError", tr("required"));
        ok = false;
    }
    if (!ok) {
        showNotSent(isRawMode() && m_rawError->text().startsWith(tr("Malformed JSON"))
                        ? tr("Not sent: the JSON payload is malformed.")
                        : tr("Not sent: fix the highlighted fields first."));
        return false;
    }
    Command command;
    command.type = spec->aggregate + u'.' + spec->name;
    command.stream = stream;
    command.payload = payload;
    if (m_expectedCheck->isChecked())
        command.expectedVersion = m_expectedSpin->value();
    const QString actor = m_actorEdit->text().trimmed();
    if (!actor.isEmpty())
        command.metadata.insert(meta::Actor, actor);

    const CommandResult result = m_session->execute(command);
    showResult(result);

    ConsoleHistoryEntry entry;
    entry.command = command;
    entry.aggregate = spec->aggregate;
    entry.commandName = spec->name;
    entry.outcome = result.record.outcome;
    {
        QStringList types;
        for (const RecordedEvent &e : result.events)
            types << e.type;
        entry.mark = outcomestyle::worstMark(eventOutcomes(), types);
    }
    entry.summary = result.accepted() ? (result.events.size() == 1 ? tr("1 event written") : tr("%1 events written").arg(result.events.size()))
                                      : result.record.reason;
    entry.sentMs = QDateTime::currentMSecsSinceEpoch();
    m_history->appendRows({entry});
    m_historyView->resizeColumnsToContents();
    m_historyView->scrollToBottom();
    return true;
}

void CommandConsole::showNotSent(const QString &why)
{
    m_hasResult = false;
    m_outcomeEvents->clear();
    m_outcome->setText(u"<span style=\"color:#c62828\"><b>%1</b></span>"_s.arg(html(why)));
}

QHash<QString, QString> CommandConsole::eventOutcomes() const
{
    return m_session && m_session->domain() ? m_session->domain()->info().eventOutcomes : QHash<QString, QString>();
}

void CommandConsole::addEventItem(const RecordedEvent &e, int indent)
{
    const QString text = u"%1#%2  %3  %4 v%5  %6"_s.arg(QString(indent * 4, u' '))
                             .arg(e.position)
                             .arg(e.type, e.stream)
                             .arg(e.version)
                             .arg(EventListModel::dataSummary(e, 100));
    const outcomestyle::EventMark mark = outcomestyle::markOf(eventOutcomes(), e.type);
    auto *item = new QListWidgetItem(mark == outcomestyle::EventMark::None
                                         ? text
                                         : QString(outcomestyle::symbol(mark) + u' ' + text.trimmed()),
                                     m_outcomeEvents);
    if (mark != outcomestyle::EventMark::None)
        item->setForeground(outcomestyle::foreground(mark));
    item->setData(PositionRole, e.position);
    item->setToolTip(tr("Event %1 — click to show it in the timeline").arg(e.eventId) + u'\n' +
                     QString::fromUtf8(e.data));
}

void CommandConsole::showResult(const CommandResult &r)
{
    m_lastResult = r;
    m_hasResult = true;
    m_outcomeEvents->clear();
    const CommandRecord &rec = r.record;
    QString text;
    switch (rec.outcome) {
    case CommandOutcome::Accepted: {
        // The pack may say that an event records a failure (LoginFailed) or a warning:
        // the command was accepted, but it is not a success to show in green.
        QStringList types;
        for (const RecordedEvent &e : r.events)
            types << e.type;
        QString markedType;
        const outcomestyle::EventMark mark = outcomestyle::worstMark(eventOutcomes(), types, &markedType);
        const QString written =
            r.events.size() == 1 ? tr("1 event written") : tr("%1 events written").arg(r.events.size());
        if (mark == outcomestyle::EventMark::Failure) {
            text = u"<span style=\"color:%1\"><b>%2</b></span>"_s.arg(
                       outcomestyle::foreground(mark).name(), tr("✘ Failed — %1").arg(html(markedType))) +
                   u"<br>"_s + tr("Recorded as a failure (%1):").arg(written);
        } else if (mark == outcomestyle::EventMark::Warning) {
            text = u"<span style=\"color:%1\"><b>%2</b></span>"_s.arg(
                       outcomestyle::foreground(mark).name(), tr("⚠ Accepted with a warning — %1").arg(html(markedType))) +
                   u"<br>"_s + written + u':';
        } else {
            text = coloured(rec.outcome, r.events.isEmpty() ? tr("✔ Accepted — nothing to do: the command wrote no events.")
                                                            : tr("✔ Accepted — %1:").arg(written));
        }
        for (const RecordedEvent &e : r.events)
            addEventItem(e, 0);
        m_form->clearErrors();
        break;
    }
    case CommandOutcome::Rejected: {
        text = coloured(rec.outcome, tr("✘ Rejected")) + u": "_s + html(rec.reason);
        QJsonObject errors = rec.fieldErrors;
        if (errors.contains(u"stream"_s)) {
            m_streamError->setText(errors.value(u"stream"_s).toString());
            m_streamError->show();
            errors.remove(u"stream"_s);
        }
        if (isRawMode()) {
            QStringList lines;
            for (auto it = errors.constBegin(); it != errors.constEnd(); ++it)
                lines << u"%1: %2"_s.arg(it.key(), it.value().toString());
            m_rawError->setText(lines.join(u'\n'));
        } else {
            for (auto it = errors.constBegin(); it != errors.constEnd(); ++it)
                m_touched.insert(it.key());
            m_form->showErrors(errors);
        }
        text += u"<br>"_s + tr("Nothing was written; the rejection is in the command log.");
        break;
    }
    case CommandOutcome::Conflict: {
        const qint64 expected = rec.expectedVersion;
        const qint64 actual = rec.actualVersion;
        const QString stream = html(rec.stream);
        text = coloured(rec.outcome, tr("⚠ Concurrency conflict: expected version %1, actual %2")
                                         .arg(expected)
                                         .arg(actual));
        const QString exp = QString::number(expected);
        const QString act = QString::number(actual);
        QString why;
        if (expected == 0)
            why = tr("You expected %1 to be a new stream (version 0), but it already has %2.")
                      .arg(stream, actual == 1 ? tr("1 event") : tr("%1 events").arg(actual));
        else if (actual == 0)
            why = tr("You expected %1 at version %2, but the stream does not exist yet.").arg(stream, exp);
        else if (actual > expected)
            why = tr("You expected %1 at version %2, but it is at version %3: %4 appended since, by you, a "
                     "reaction or another process.")
                      .arg(stream, exp, act,
                           actual - expected == 1 ? tr("1 event was") : tr("%1 events were").arg(actual - expected));
        else
            why = tr("You expected %1 at version %2, but it has only reached version %3.").arg(stream, exp, act);
        text += u"<br>"_s + why + u"<br>"_s +
                tr("Nothing was written. Check the current state, then send again expecting version %1, or untick "
                   "“Expected version” to send against whatever is current.")
                    .arg(actual);
        break;
    }
    case CommandOutcome::Failed:
        text = coloured(rec.outcome, tr("‼ Failed")) + u": "_s +
               html(r.error.message.isEmpty() ? rec.reason : r.error.message);
        break;
    }
    if (r.repeated)
        text += u"<br><i>"_s + tr("This command id was already executed: its logged outcome is shown.") + u"</i>"_s;

    if (!r.reactions.isEmpty()) {
        text += u"<br>"_s + (r.reactions.size() == 1 ? tr("Reactions ran 1 command:") : tr("Reactions ran %1 commands:").arg(r.reactions.size()));
        for (const CommandRecord &reaction : r.reactions) {
            QString line = u"↳ %1 → %2: %3 %4"_s.arg(reaction.type, reaction.stream,
                                                      outcomestyle::symbol(reaction.outcome),
                                                      outcomestyle::title(reaction.outcome));
            if (!reaction.reason.isEmpty())
                line += u" — "_s + reaction.reason;
            auto *item = new QListWidgetItem(line, m_outcomeEvents);
            item->setForeground(outcomestyle::foreground(reaction.outcome));
            item->setData(PositionRole, reaction.firstPosition);
            const QString by = reaction.metadata.value(u"reaction"_s).toString();
            item->setToolTip(by.isEmpty() ? reaction.commandId : tr("issued by the reaction %1").arg(by));
            if (reaction.firstPosition > 0) {
                EventQuery q;
                q.fromPosition = reaction.firstPosition;
                q.toPosition = reaction.lastPosition > 0 ? reaction.lastPosition : reaction.firstPosition;
                q.limit = 100;
                if (auto events = m_session->store()->query(q))
                    for (const RecordedEvent &e : std::as_const(*events))
                        addEventItem(e, 1);
            }
        }
    }
    if (!r.reactionError.isEmpty())
        text += u"<br><span style=\"color:#c62828\"><b>%1</b> %2</span>"_s.arg(tr("Reactions stopped:"),
                                                                              html(r.reactionError));
    m_outcome->setText(text);
    m_outcomeEvents->setVisible(m_outcomeEvents->count() > 0);
    updateStreamInfo();
}

void CommandConsole::loadHistory(int row, bool rerun)
{
    if (row < 0 || row >= m_history->rowCount())
        return;
    const ConsoleHistoryEntry entry = m_history->rowAt(row);
    if (!selectCommand(entry.aggregate + u'.' + entry.commandName)) {
        showNotSent(tr("%1.%2 is not a command of the loaded pack.").arg(entry.aggregate, entry.commandName));
        return;
    }
    m_streamEdit->setText(entry.command.stream);
    m_expectedCheck->setChecked(entry.command.expectedVersion.has_value());
    if (entry.command.expectedVersion)
        m_expectedSpin->setValue(int(*entry.command.expectedVersion));
    const QString actor = entry.command.metadata.value(meta::Actor).toString();
    if (!actor.isEmpty())
        m_actorEdit->setText(actor);
    if (isRawMode()) {
        m_raw->setPlainText(QString::fromUtf8(QJsonDocument(entry.command.payload).toJson(QJsonDocument::Indented)));
    } else {
        m_form->setPayload(entry.command.payload);
        m_touched.clear();
        validate(false, nullptr);
    }
    if (rerun)
        send();
}

void CommandConsole::setAsOfPosition(qint64 position)
{
    m_historical->setAsOfPosition(position);
}

} // namespace es
