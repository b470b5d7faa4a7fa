#include "whatifview.h"
#include "common/localshortcut.h"

#include "common/jsontreewidget.h"
#include "common/outcomestyle.h"
#include "common/teardown.h"
#include "console/commandform.h"
#include "eventstore.h"
#include "forkeventsmodel.h"
#include "jsdomain.h"
#include "session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {

QString compactJson(const QJsonValue &v)
{
    if (v.isUndefined())
        return QString();
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return JsonTreeModel::displayText(v);
}

QColor kindColor(RowComparison::Kind kind)
{
    switch (kind) {
    case RowComparison::Kind::Added:
        return QColor(214, 240, 214);
    case RowComparison::Kind::Removed:
        return QColor(248, 215, 215);
    case RowComparison::Kind::Changed:
        return QColor(255, 236, 179);
    case RowComparison::Kind::Same:
        break;
    }
    return {};
}

QString kindName(RowComparison::Kind kind)
{
    switch (kind) {
    case RowComparison::Kind::Added:
        return WhatIfView::tr("only in the fork");
    case RowComparison::Kind::Removed:
        return WhatIfView::tr("only in the original");
    case RowComparison::Kind::Changed:
        return WhatIfView::tr("changed");
    case RowComparison::Kind::Same:
        break;
    }
    return WhatIfView::tr("same");
}

} // namespace

WhatIfView::WhatIfView(QWidget *parent)
    : QWidget(parent)
    , m_sandbox(new Sandbox(this))
    , m_events(new ForkEventsModel(this))
    , m_banner(new QLabel(this))
    , m_position(new QSpinBox(this))
    , m_forkButton(new QPushButton(tr("&Fork"), this))
    , m_headButton(new QPushButton(tr("At &head"), this))
    , m_discardButton(new QPushButton(tr("Discard"), this))
    , m_progress(new QProgressBar(this))
    , m_cancelButton(new QPushButton(tr("Cancel"), this))
    , m_status(new QLabel(this))
    , m_eventsView(new QTableView(this))
    , m_skipTimer(new QTimer(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    m_banner->setObjectName(u"sandboxBanner"_s);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setWordWrap(true);
    m_banner->setAutoFillBackground(true);
    m_banner->setStyleSheet(u"QLabel#sandboxBanner { background: #f7c948; color: #3d2c00; border: 2px dashed #a06d00;"
                            " padding: 4px 8px; }"_s);
    layout->addWidget(m_banner);

    auto *forkRow = new QHBoxLayout;
    auto *forkLabel = new QLabel(tr("Fork at &position:"), this);
    forkLabel->setBuddy(m_position);
    m_position->setObjectName(u"forkPosition"_s);
    m_position->setRange(0, 0);
    m_position->setToolTip(tr("The fork holds the original's events 1 to this position"));
    m_forkButton->setObjectName(u"forkButton"_s);
    m_forkButton->setToolTip(tr("Copy the events up to the position into an in-memory sandbox (Ctrl+Shift+F)"));
    setLocalShortcut(m_forkButton, QKeySequence(u"Ctrl+Shift+F"_s), this);
    m_headButton->setObjectName(u"forkAtHeadButton"_s);
    m_headButton->setToolTip(tr("Fork with every event of the store"));
    m_discardButton->setObjectName(u"discardButton"_s);
    m_discardButton->setToolTip(tr("Throw the fork away, with the commands issued into it"));
    m_progress->setObjectName(u"forkProgress"_s);
    m_progress->setMaximumWidth(220);
    m_progress->setVisible(false);
    m_cancelButton->setObjectName(u"forkCancel"_s);
    m_cancelButton->setVisible(false);
    m_cancelButton->setToolTip(tr("Stop the running copy or comparison (Esc)"));
    setLocalShortcut(m_cancelButton, QKeySequence(Qt::Key_Escape), this);
    forkRow->addWidget(forkLabel);
    forkRow->addWidget(m_position);
    forkRow->addWidget(m_forkButton);
    forkRow->addWidget(m_headButton);
    forkRow->addWidget(m_discardButton);
    forkRow->addSpacing(12);
    forkRow->addWidget(m_progress);
    forkRow->addWidget(m_cancelButton);
    forkRow->addStretch(1);
    layout->addLayout(forkRow);
    m_status->setObjectName(u"sandboxStatus"_s);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto *split = new QSplitter(Qt::Horizontal, this);
    auto *left = new QSplitter(Qt::Vertical, split);
    m_eventsView->setObjectName(u"forkEvents"_s);
    m_eventsView->setModel(m_events);
    m_eventsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_eventsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_eventsView->verticalHeader()->hide();
    m_eventsView->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_eventsView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_eventsView->horizontalHeader()->setStretchLastSection(true);
    m_eventsView->setToolTip(tr("Uncheck an event to skip it in the fork; double-click to show it in the timeline"));
    m_eventsView->setColumnWidth(ForkEventsModel::InForkColumn, 64);
    m_eventsView->setColumnWidth(ForkEventsModel::PositionColumn, 70);
    m_eventsView->setColumnWidth(ForkEventsModel::StreamColumn, 110);
    m_eventsView->setColumnWidth(ForkEventsModel::VersionColumn, 60);
    m_eventsView->setColumnWidth(ForkEventsModel::TypeColumn, 130);
    left->addWidget(m_eventsView);
    left->addWidget(buildCommandBox());
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);
    split->addWidget(left);

    m_tabs = new QTabWidget(split);
    m_tabs->setObjectName(u"compareTabs"_s);
    m_tabs->addTab(buildAggregateTab(), tr("&Aggregate"));
    m_tabs->addTab(buildReadModelTab(), tr("&Read models"));
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({560, 440});
    left->setSizes({420, 300});
    layout->addWidget(split, 1);

    // Several checkboxes toggled in a row rebuild the fork once.
    m_skipTimer->setSingleShot(true);
    m_skipTimer->setInterval(250);
    connect(m_skipTimer, &QTimer::timeout, this, &WhatIfView::applySkips);
    connect(m_events, &ForkEventsModel::inclusionToggled, this, [this] { m_skipTimer->start(); });

    connect(m_forkButton, &QPushButton::clicked, this, [this] { forkAt(m_position->value()); });
    connect(m_headButton, &QPushButton::clicked, this, &WhatIfView::forkAtHead);
    connect(m_discardButton, &QPushButton::clicked, this, [this] {
        if (!m_sandbox->commands().isEmpty() &&
            QMessageBox::question(this, tr("Discard the fork"),
                                  tr("Throw the fork away with the %n command(s) issued into it?", nullptr,
                                     int(m_sandbox->commands().size())))
                != QMessageBox::Yes)
            return;
        m_sandbox->discard();
        m_events->clear();
        refreshCommands();
        refreshAggregate();
        m_projections.clear();
        fillProjectionTable();
        setStatus(tr("The fork was discarded."));
        updateEnabled();
    });
    connect(m_cancelButton, &QPushButton::clicked, this, [this] {
        m_sandbox->cancel();
        setStatus(tr("Cancelled."));
        onBusy(false);
    });
    connect(m_eventsView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (!m_events->isNew(index.row()))
            Q_EMIT revealEventRequested(index.data(ForkEventsModel::PositionRole).toLongLong());
    });
    connect(m_eventsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                const QString stream = current.data(ForkEventsModel::StreamRole).toString();
                if (stream.isEmpty())
                    return;
                m_stream->setText(stream);
                compareStream(stream);
            });

    connect(m_sandbox, &Sandbox::forked, this, &WhatIfView::onForked);
    connect(m_sandbox, &Sandbox::busyChanged, this, &WhatIfView::onBusy);
    connect(m_sandbox, &Sandbox::progress, this, &WhatIfView::onProgress);
    connect(m_sandbox, &Sandbox::failed, this, &WhatIfView::onFailed);
    connect(m_sandbox, &Sandbox::projectionsCompared, this, &WhatIfView::showProjections);
    connect(m_sandbox, &Sandbox::commandExecuted, this, [this] {
        refreshEvents();
        refreshCommands();
        refreshAggregate();
    });
    setSession(nullptr);
}

WhatIfView::~WhatIfView()
{
    disconnectDescendants(this);
}

QWidget *WhatIfView::buildCommandBox()
{
    auto *box = new QGroupBox(tr("Command into the fork"), this);
    auto *v = new QVBoxLayout(box);
    auto *row = new QHBoxLayout;
    m_command = new QComboBox(box);
    m_command->setObjectName(u"forkCommand"_s);
    m_command->setToolTip(tr("The command to issue into the fork"));
    m_stream = new QLineEdit(box);
    m_stream->setObjectName(u"forkStream"_s);
    m_stream->setPlaceholderText(tr("stream id"));
    m_stream->setToolTip(tr("The stream the command targets (selecting an event fills it in)"));
    row->addWidget(m_command, 1);
    row->addWidget(m_stream, 1);
    v->addLayout(row);
    m_form = new CommandForm(box);
    m_form->setObjectName(u"forkForm"_s);
    auto *scroll = new QScrollArea(box);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_form);
    scroll->setMinimumHeight(60);
    v->addWidget(scroll, 1);
    auto *issueRow = new QHBoxLayout;
    m_issueButton = new QPushButton(tr("&Issue in fork"), box);
    m_issueButton->setObjectName(u"issueButton"_s);
    m_issueButton->setToolTip(tr("Run the command through the fork's own pipeline (Ctrl+Return)"));
    setLocalShortcut(m_issueButton, QKeySequence(u"Ctrl+Return"_s), this);
    m_outcome = new QLabel(box);
    m_outcome->setObjectName(u"forkOutcome"_s);
    m_outcome->setWordWrap(true);
    issueRow->addWidget(m_issueButton);
    issueRow->addWidget(m_outcome, 1);
    v->addLayout(issueRow);

    m_commands = new QTableWidget(0, 4, box);
    m_commands->setObjectName(u"forkCommands"_s);
    m_commands->setHorizontalHeaderLabels({tr("#"), tr("Command"), tr("Stream"), tr("Outcome")});
    m_commands->verticalHeader()->hide();
    m_commands->horizontalHeader()->setStretchLastSection(true);
    m_commands->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_commands->setSelectionMode(QAbstractItemView::SingleSelection);
    m_commands->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_commands->setToolTip(tr("Commands issued into the fork; they run again whenever the fork is rebuilt"));
    m_commands->setMinimumHeight(70);
    v->addWidget(m_commands, 1);
    m_exportButton = new QPushButton(tr("&Export fixture…"), box);
    m_exportButton->setObjectName(u"exportFixture"_s);
    m_exportButton->setToolTip(tr("Save the selected command with its stream's history in the fork as a "
                                  "given/when/then case for the Node harness (Ctrl+Shift+E)"));
    setLocalShortcut(m_exportButton, QKeySequence(u"Ctrl+Shift+E"_s), this);
    auto *exportRow = new QHBoxLayout;
    exportRow->addStretch(1);
    exportRow->addWidget(m_exportButton);
    v->addLayout(exportRow);

    connect(m_command, &QComboBox::currentIndexChanged, this, &WhatIfView::onCommandChanged);
    connect(m_issueButton, &QPushButton::clicked, this, &WhatIfView::issueCommand);
    connect(m_exportButton, &QPushButton::clicked, this, &WhatIfView::exportSelectedFixture);
    connect(m_commands, &QTableWidget::itemSelectionChanged, this, &WhatIfView::updateEnabled);
    return box;
}

QWidget *WhatIfView::buildAggregateTab()
{
    auto *w = new QWidget(this);
    auto *v = new QVBoxLayout(w);
    auto *row = new QHBoxLayout;
    auto *label = new QLabel(tr("&Stream:"), w);
    m_compareStream = new QComboBox(w);
    m_compareStream->setObjectName(u"compareStream"_s);
    m_compareStream->setEditable(true);
    m_compareStream->setInsertPolicy(QComboBox::NoInsert);
    m_compareStream->setToolTip(tr("The aggregate to compare: its state in the original at the fork position, "
                                   "and in the fork now"));
    m_compareStream->setMinimumContentsLength(16);
    label->setBuddy(m_compareStream);
    row->addWidget(label);
    row->addWidget(m_compareStream, 1);
    v->addLayout(row);
    m_aggregateSummary = new QLabel(w);
    m_aggregateSummary->setObjectName(u"aggregateSummary"_s);
    m_aggregateSummary->setWordWrap(true);
    v->addWidget(m_aggregateSummary);
    auto *sides = new QSplitter(Qt::Horizontal, w);
    auto side = [&](QLabel *&title, JsonTreeWidget *&tree, const QString &name) {
        auto *box = new QWidget(sides);
        auto *bv = new QVBoxLayout(box);
        bv->setContentsMargins(0, 0, 0, 0);
        title = new QLabel(box);
        title->setTextFormat(Qt::RichText);
        tree = new JsonTreeWidget(box);
        tree->setObjectName(name);
        bv->addWidget(title);
        bv->addWidget(tree, 1);
        sides->addWidget(box);
    };
    side(m_originalTitle, m_originalTree, u"originalState"_s);
    side(m_forkTitle, m_forkTree, u"forkState"_s);
    v->addWidget(sides, 1);
    connect(m_compareStream, &QComboBox::activated, this, [this] { compareStream(m_compareStream->currentText()); });
    connect(m_compareStream->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { compareStream(m_compareStream->currentText()); });
    return w;
}

QWidget *WhatIfView::buildReadModelTab()
{
    auto *w = new QWidget(this);
    auto *v = new QVBoxLayout(w);
    auto *row = new QHBoxLayout;
    auto *label = new QLabel(tr("&Projection:"), w);
    m_projection = new QComboBox(w);
    m_projection->setObjectName(u"compareProjection"_s);
    label->setBuddy(m_projection);
    m_compareReadModels = new QPushButton(tr("&Compare read models"), w);
    m_compareReadModels->setObjectName(u"compareReadModels"_s);
    m_compareReadModels->setToolTip(tr("Build the projections of the original as of the fork position and of the "
                                       "fork, in scratch stores, and compare them row by row (F5)"));
    setLocalShortcut(m_compareReadModels, QKeySequence(Qt::Key_F5), this);
    m_onlyDifferences = new QCheckBox(tr("Only &differences"), w);
    m_onlyDifferences->setObjectName(u"onlyDifferences"_s);
    m_onlyDifferences->setChecked(QSettings().value(u"whatif/onlyDifferences"_s, true).toBool());
    row->addWidget(label);
    row->addWidget(m_projection, 1);
    row->addWidget(m_onlyDifferences);
    row->addWidget(m_compareReadModels);
    v->addLayout(row);
    m_readModelSummary = new QLabel(w);
    m_readModelSummary->setObjectName(u"readModelSummary"_s);
    m_readModelSummary->setWordWrap(true);
    v->addWidget(m_readModelSummary);
    m_rows = new QTableWidget(0, 4, w);
    m_rows->setObjectName(u"readModelRows"_s);
    m_rows->setHorizontalHeaderLabels({tr("Key"), tr("Difference"), tr("Original"), tr("Fork")});
    m_rows->verticalHeader()->hide();
    // Key and kind of difference as wide as they are; the two values share the rest equally, so
    // neither is cut to a prefix ("65" beside "64").
    m_rows->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_rows->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_rows->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_rows->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_rows->setTextElideMode(Qt::ElideMiddle); // the ends of two long values are where they differ most often
    m_rows->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_rows->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_rows->setWordWrap(false);
    v->addWidget(m_rows, 1);
    connect(m_compareReadModels, &QPushButton::clicked, this, &WhatIfView::compareReadModels);
    connect(m_projection, &QComboBox::currentIndexChanged, this, &WhatIfView::fillProjectionTable);
    connect(m_onlyDifferences, &QCheckBox::toggled, this, [this](bool on) {
        QSettings().setValue(u"whatif/onlyDifferences"_s, on);
        fillProjectionTable();
    });
    return w;
}

void WhatIfView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_events->clear();
    m_projections.clear();
    m_command->clear();
    m_projection->clear();
    m_compareStream->clear();
    m_outcome->clear();
    Status st = m_sandbox->setSource(session ? session->store() : nullptr, session ? session->packPath() : QString());
    if (session) {
        m_position->setRange(0, int(qMin<qint64>(session->head(), std::numeric_limits<int>::max())));
        m_position->setValue(m_position->maximum());
        connect(session, &Session::headChanged, this, [this](qint64 head) {
            const bool atMax = m_position->value() == m_position->maximum();
            m_position->setMaximum(int(qMin<qint64>(head, std::numeric_limits<int>::max())));
            if (atMax)
                m_position->setValue(m_position->maximum());
        });
        connect(session, &Session::packChanged, this, [this] {
            const bool hadFork = m_sandbox->isReady();
            setSession(m_session);
            if (hadFork)
                setStatus(tr("The domain pack changed: the fork was discarded. Fork again to use the new pack."));
        });
        if (JsDomain *d = m_sandbox->domain()) {
            for (const AggregateSpec &a : d->info().aggregates)
                for (const CommandSpec &c : a.commands)
                {
                    const QString name = a.name + u'.' + c.name;
                    m_command->addItem(name, name);
                }
            for (const ProjectionSpec &p : d->info().projections)
                m_projection->addItem(p.name);
        }
    } else {
        m_position->setRange(0, 0);
    }
    if (!st)
        setStatus(st.error().message, true);
    else if (!session)
        setStatus(tr("Open a store to use the sandbox."));
    else if (session->packPath().isEmpty())
        setStatus(tr("Load a domain pack to use the sandbox: commands and states need it."));
    else
        setStatus(tr("Choose a position and fork: the sandbox copies the events up to it into memory."));
    onCommandChanged();
    refreshCommands();
    refreshAggregate();
    fillProjectionTable();
    updateEnabled();
}

QString WhatIfView::comparedStream() const
{
    return m_compareStream->currentText();
}

void WhatIfView::forkAt(qint64 position)
{
    if (!m_session || !m_sandbox->domain())
        return;
    if (!m_sandbox->commands().isEmpty() &&
        QMessageBox::question(this, tr("Fork again"),
                              tr("A new fork drops the %n command(s) issued into this one. Fork again?", nullptr,
                                 int(m_sandbox->commands().size())))
            != QMessageBox::Yes)
        return;
    m_position->setValue(int(qBound<qint64>(0, position, qint64(m_position->maximum()))));
    m_events->clear();
    setStatus(tr("Forking at position %1…").arg(position));
    m_sandbox->forkAt(position);
}

void WhatIfView::forkAtHead()
{
    if (m_session)
        forkAt(m_session->store()->headPosition());
}

void WhatIfView::applySkips()
{
    if (!m_sandbox->isReady() && !m_sandbox->isBusy())
        return;
    const QSet<qint64> wanted = m_events->skipped();
    if (wanted == m_sandbox->skipped() && !m_sandbox->isBusy())
        return;
    setStatus(tr("Rebuilding the fork without %n event(s)…", nullptr, int(wanted.size())));
    m_sandbox->setSkipped(wanted);
}

void WhatIfView::onForked()
{
    m_position->setValue(int(m_sandbox->position()));
    refreshEvents();
    refreshCommands();
    QStringList streams;
    if (auto s = m_sandbox->fork()->streams({}, 5000))
        for (const StreamInfo &i : *s)
            streams << i.stream;
    const QString current = m_compareStream->currentText();
    m_compareStream->clear();
    m_compareStream->addItems(streams);
    m_compareStream->setCurrentText(current.isEmpty() && !streams.isEmpty() ? streams.constFirst() : current);
    refreshAggregate();
    if (!m_projections.isEmpty()) {
        m_projections.clear();
        fillProjectionTable();
        m_readModelSummary->setText(tr("The fork changed: compare the read models again (F5)."));
    }
    const qint64 skipped = m_sandbox->skipped().size();
    QString text = tr("Forked at position %1: %2 event(s) in the fork").arg(m_sandbox->position())
                       .arg(m_sandbox->fork()->headPosition());
    if (skipped)
        text += tr(", %n skipped", nullptr, int(skipped));
    if (!m_sandbox->commands().isEmpty())
        text += tr(", %n command(s) replayed", nullptr, int(m_sandbox->commands().size()));
    setStatus(text + u'.');
    updateEnabled();
}

void WhatIfView::onBusy(bool busy)
{
    m_progress->setVisible(busy);
    m_cancelButton->setVisible(busy);
    if (busy) {
        m_progress->setRange(0, 0);
    }
    updateEnabled();
}

void WhatIfView::onProgress(const QString &stage, qint64 done, qint64 total)
{
    if (total > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(done * 1000 / total));
        m_progress->setFormat(tr("%1: %2 of %3").arg(stage).arg(done).arg(total));
    } else {
        m_progress->setRange(0, 0);
        m_progress->setFormat(stage);
    }
    m_progress->setToolTip(stage);
    setStatus(stage + u'…');
}

void WhatIfView::onFailed(const QString &message)
{
    setStatus(message, true);
    // The list shows what the fork really holds.
    m_events->setSkipped(m_sandbox->skipped());
    updateEnabled();
}

void WhatIfView::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? u"color: #b00020;"_s : QString());
    // The banner says what is open and that it is a sandbox.
    QString where;
    if (m_sandbox->isReady())
        where = tr("forked at position %1 of %2").arg(m_sandbox->position())
                    .arg(QFileInfo(m_sandbox->source()->path()).fileName().toHtmlEscaped());
    else
        where = tr("no fork yet");
    m_banner->setText(tr("<b>SANDBOX</b> — %1. An in-memory copy: nothing you do here changes the real store.")
                          .arg(where));
}

void WhatIfView::updateEnabled()
{
    const bool canFork = m_session && m_sandbox->domain();
    const bool busy = m_sandbox->isBusy();
    const bool ready = m_sandbox->isReady() && !busy;
    m_position->setEnabled(canFork);
    m_forkButton->setEnabled(canFork);
    m_headButton->setEnabled(canFork);
    m_discardButton->setEnabled(m_sandbox->isReady());
    m_eventsView->setEnabled(m_sandbox->isReady() || busy);
    m_command->setEnabled(ready);
    m_stream->setEnabled(ready);
    m_form->setEnabled(ready);
    m_issueButton->setEnabled(ready && m_command->count() > 0);
    m_exportButton->setEnabled(ready && m_commands->currentRow() >= 0);
    m_compareReadModels->setEnabled(ready && m_projection->count() > 0);
    m_compareStream->setEnabled(m_sandbox->isReady());
}

void WhatIfView::onCommandChanged()
{
    const JsDomain *d = m_sandbox->domain();
    const CommandSpec *spec = d ? d->info().command(m_command->currentData().toString()) : nullptr;
    m_form->setSpec(spec ? *spec : CommandSpec());
}

void WhatIfView::issueCommand()
{
    if (!m_sandbox->isReady() || m_sandbox->isBusy())
        return;
    QJsonObject inputErrors;
    const QJsonObject payload = m_form->payload(&inputErrors);
    if (!inputErrors.isEmpty()) {
        m_form->showErrors(inputErrors);
        m_outcome->setText(tr("Fix the fields marked first."));
        return;
    }
    if (m_stream->text().trimmed().isEmpty()) {
        m_outcome->setText(tr("Name the stream the command targets."));
        m_stream->setFocus();
        return;
    }
    Command c;
    c.type = m_command->currentData().toString();
    c.stream = m_stream->text().trimmed();
    c.payload = payload;
    c.metadata.insert(QString(meta::Actor), u"sandbox"_s);
    const CommandResult r = m_sandbox->execute(c);
    m_form->showErrors(r.record.fieldErrors);
    const CommandOutcome o = r.record.outcome;
    QString text = outcomestyle::symbol(o) + u' ' + outcomestyle::title(o);
    if (o == CommandOutcome::Accepted)
        text += tr(": %n event(s) in the fork", nullptr, int(r.events.size()));
    else if (!r.record.reason.isEmpty())
        text += u": "_s + r.record.reason;
    m_outcome->setText(text);
    m_outcome->setStyleSheet(u"color: %1;"_s.arg(outcomestyle::foreground(o).name()));
    m_compareStream->setCurrentText(c.stream);
    refreshAggregate();
}

void WhatIfView::refreshEvents()
{
    if (!m_sandbox->isReady()) {
        m_events->clear();
        return;
    }
    // The fork's own events come after the last copied one.
    EventList fresh;
    qint64 copied = 0;
    for (qint64 p = m_sandbox->position(); p >= 1; --p)
        if (!m_sandbox->skipped().contains(p)) {
            copied = p;
            break;
        }
    EventQuery q;
    q.fromPosition = copied + 1;
    q.limit = 100000;
    if (auto r = m_sandbox->fork()->query(q))
        fresh = *r;
    m_events->setFork(m_sandbox->source(), m_sandbox->position(), m_sandbox->skipped(), fresh);
}

void WhatIfView::refreshCommands()
{
    const auto &commands = m_sandbox->commands();
    const int selected = m_commands->currentRow();
    m_commands->setRowCount(int(commands.size()));
    for (int i = 0; i < commands.size(); ++i) {
        const ForkCommand &c = commands.at(i);
        const CommandOutcome o = c.result.record.outcome;
        auto *n = new QTableWidgetItem(QString::number(i + 1));
        auto *type = new QTableWidgetItem(c.command.type);
        auto *stream = new QTableWidgetItem(c.command.stream);
        QString outcome = outcomestyle::symbol(o) + u' ' + outcomestyle::title(o);
        if (!c.result.record.reason.isEmpty())
            outcome += u": "_s + c.result.record.reason;
        auto *out = new QTableWidgetItem(outcome);
        out->setForeground(outcomestyle::foreground(o));
        out->setToolTip(outcome);
        type->setToolTip(QString::fromUtf8(QJsonDocument(c.command.payload).toJson(QJsonDocument::Compact)));
        m_commands->setItem(i, 0, n);
        m_commands->setItem(i, 1, type);
        m_commands->setItem(i, 2, stream);
        m_commands->setItem(i, 3, out);
    }
    m_commands->resizeColumnToContents(0);
    m_commands->resizeColumnToContents(1);
    m_commands->resizeColumnToContents(2);
    if (selected >= 0 && selected < commands.size())
        m_commands->selectRow(selected);
    else if (!commands.isEmpty())
        m_commands->selectRow(int(commands.size()) - 1);
    updateEnabled();
}

void WhatIfView::compareStream(const QString &stream)
{
    if (m_compareStream->currentText() != stream)
        m_compareStream->setCurrentText(stream);
    m_tabs->setCurrentIndex(0);
    refreshAggregate();
}

void WhatIfView::refreshAggregate()
{
    const QString stream = m_compareStream->currentText().trimmed();
    m_originalTitle->setText(tr("<b>Original</b> at position %1").arg(m_sandbox->position()));
    m_forkTitle->setText(tr("<b>Fork</b> now"));
    if (!m_sandbox->isReady() || stream.isEmpty()) {
        m_originalTree->clear();
        m_forkTree->clear();
        m_aggregateSummary->setText(m_sandbox->isReady() ? tr("Choose a stream (or select an event) to compare.")
                                                         : tr("Fork the store to compare states."));
        return;
    }
    auto cmp = m_sandbox->compareAggregate(stream);
    if (!cmp) {
        m_originalTree->clear();
        m_forkTree->clear();
        m_aggregateSummary->setText(cmp.error().message);
        return;
    }
    // Each side marks what differs from the other.
    m_originalTree->setJson(cmp->original, cmp->fork);
    m_forkTree->setJson(cmp->fork, cmp->original);
    m_originalTree->expandToDepth(1);
    m_forkTree->expandToDepth(1);
    m_originalTitle->setText(cmp->inOriginal ? tr("<b>Original</b> at position %1 — version %2")
                                                   .arg(m_sandbox->position())
                                                   .arg(cmp->originalVersion)
                                             : tr("<b>Original</b> at position %1 — no events yet")
                                                   .arg(m_sandbox->position()));
    m_forkTitle->setText(cmp->inFork ? tr("<b>Fork</b> — version %1").arg(cmp->forkVersion)
                                     : tr("<b>Fork</b> — no events"));
    if (cmp->equal())
        m_aggregateSummary->setText(tr("%1 (%2): the same state in the original and in the fork.")
                                        .arg(stream, cmp->aggregate));
    else
        m_aggregateSummary->setText(tr("%1 (%2): <b>%n difference(s)</b>: %3", nullptr, int(cmp->paths.size()))
                                        .arg(stream.toHtmlEscaped(), cmp->aggregate,
                                             cmp->paths.mid(0, 8).join(u", "_s).toHtmlEscaped()));
}

void WhatIfView::compareReadModels()
{
    if (!m_sandbox->isReady() || m_sandbox->isBusy())
        return;
    m_tabs->setCurrentIndex(1);
    m_readModelSummary->setText(tr("Building the read models…"));
    m_sandbox->startProjectionCompare();
}

void WhatIfView::showProjections(const QList<ProjectionComparison> &result)
{
    m_projections = result;
    fillProjectionTable();
    setStatus(tr("Read models compared."));
}

void WhatIfView::fillProjectionTable()
{
    m_rows->setRowCount(0);
    const QString name = m_projection->currentText();
    const ProjectionComparison *pc = nullptr;
    for (const ProjectionComparison &p : std::as_const(m_projections))
        if (p.projection == name)
            pc = &p;
    if (!pc) {
        if (m_projections.isEmpty())
            m_readModelSummary->setText(m_sandbox->isReady()
                                            ? tr("Compare the read models (F5): the original as of position %1 "
                                                 "against the fork.")
                                                  .arg(m_sandbox->position())
                                            : tr("Fork the store to compare read models."));
        return;
    }
    m_readModelSummary->setText(pc->equal() ? tr("%1: the same %2 row(s) in the original and in the fork.")
                                                  .arg(pc->projection)
                                                  .arg(pc->same)
                                            : tr("%1: %2 changed, %3 only in the fork, %4 only in the original, "
                                                 "%5 the same.")
                                                  .arg(pc->projection)
                                                  .arg(pc->changed)
                                                  .arg(pc->added)
                                                  .arg(pc->removed)
                                                  .arg(pc->same));
    const bool only = m_onlyDifferences->isChecked();
    int row = 0;
    for (const RowComparison &r : pc->rows) {
        if (only && r.kind == RowComparison::Kind::Same)
            continue;
        m_rows->insertRow(row);
        const QColor bg = kindColor(r.kind);
        const QStringList cells{r.key, kindName(r.kind), compactJson(r.original), compactJson(r.fork)};
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            if (bg.isValid())
                item->setBackground(bg);
            item->setToolTip(cells.at(c));
            m_rows->setItem(row, c, item);
        }
        ++row;
    }
    m_rows->resizeColumnToContents(0);
    m_rows->resizeColumnToContents(1);
    // Original and fork share what is left, so both sides read alike.
    const int rest = m_rows->viewport()->width() - m_rows->columnWidth(0) - m_rows->columnWidth(1);
    m_rows->setColumnWidth(2, qMax(120, rest / 2));
}

Status WhatIfView::exportFixture(int index, const QString &path)
{
    auto fixture = m_sandbox->fixture(index);
    if (!fixture)
        return fixture.error();
    return Sandbox::writeFixtures(path, QJsonArray{*fixture});
}

void WhatIfView::exportSelectedFixture()
{
    const int index = m_commands->currentRow();
    if (index < 0)
        return;
    QSettings settings;
    const QString dir = settings.value(u"whatif/fixtureDir"_s).toString();
    const ForkCommand &c = m_sandbox->commands().at(index);
    const QString suggested = (dir.isEmpty() ? QString() : dir + u'/') + c.command.stream + u".cases.json"_s;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export fixture"), suggested,
                                                      tr("Harness cases (*.cases.json *.json)"));
    if (path.isEmpty())
        return;
    settings.setValue(u"whatif/fixtureDir"_s, QFileInfo(path).absolutePath());
    if (Status st = exportFixture(index, path); !st) {
        setStatus(st.error().message, true);
        return;
    }
    setStatus(tr("Fixture written to %1: run it with node resources/harness/harness.js PACK.js %1").arg(path));
}

} // namespace es
