#include "connectdialog.h"

#include "common/teardown.h"
#include "eventstore.h"
#include "storeaddress.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>
#include <QVBoxLayout>

#include <memory>

using namespace Qt::StringLiterals;

namespace es {

namespace {

struct TestOutcome {
    bool ok = false;
    QString message;
};

// Runs in the test thread: a connection of its own, closed before it returns.
TestOutcome probe(const QString &url)
{
    auto store = EventStore::open(url, EventStore::Mode::ReadOnly);
    if (store) {
        const qint64 head = (*store)->headPosition();
        return {true, head > 0 ? QObject::tr("Connected: an Eventscope store with %1 events.").arg(head)
                               : QObject::tr("Connected: an empty Eventscope store.")};
    }
    const Error &e = store.error();
    if (e.code == ErrorCode::NotFound)
        return {true, QObject::tr("Connected: the database holds no Eventscope store yet (New PostgreSQL Store "
                                  "creates one).")};
    if (StoreAddress::isPasswordError(e.message))
        return {false, QObject::tr("The server wants a password: type it above, or set PGPASSWORD or ~/.pgpass.")};
    return {false, e.message};
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
    , m_recent(new QComboBox(this))
    , m_host(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_database(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_advanced(new QGroupBox(tr("Advanced"), this))
    , m_socketDir(new QLineEdit(this))
    , m_sslMode(new QComboBox(this))
    , m_urlEdit(new QLineEdit(this))
    , m_readOnly(new QCheckBox(tr("Open &read-only (auditing: nothing can be written)"), this))
    , m_create(new QCheckBox(tr("&Create the store if the database has none"), this))
    , m_status(new QLabel(this))
    , m_testButton(new QPushButton(tr("&Test Connection"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Open PostgreSQL Store"));
    setObjectName(u"connectDialog"_s);
    m_recent->setObjectName(u"recent"_s);
    m_host->setObjectName(u"host"_s);
    m_port->setObjectName(u"port"_s);
    m_database->setObjectName(u"database"_s);
    m_user->setObjectName(u"user"_s);
    m_password->setObjectName(u"password"_s);
    m_socketDir->setObjectName(u"socketDir"_s);
    m_sslMode->setObjectName(u"sslMode"_s);
    m_urlEdit->setObjectName(u"url"_s);
    m_readOnly->setObjectName(u"readOnly"_s);
    m_create->setObjectName(u"create"_s);
    m_status->setObjectName(u"status"_s);
    m_testButton->setObjectName(u"test"_s);

    m_recent->addItem(tr("New connection"));
    m_recent->setToolTip(tr("Connections opened before (their passwords are never kept)"));
    m_host->setPlaceholderText(u"localhost"_s);
    m_port->setRange(1, 65535);
    m_port->setValue(5432);
    m_database->setPlaceholderText(tr("required"));
    m_user->setText(qEnvironmentVariable("PGUSER", qEnvironmentVariable("USER")));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("empty: PGPASSWORD or ~/.pgpass"));
    m_password->setToolTip(tr("Used for this connection only and never saved. Left empty, libpq reads the "
                              "PGPASSWORD environment variable or ~/.pgpass; if the server still wants one, you "
                              "are asked."));
    m_socketDir->setPlaceholderText(tr("e.g. /var/run/postgresql (instead of TCP)"));
    m_socketDir->setToolTip(tr("Connect through the server's Unix socket in this directory; the host is then ignored"));
    m_sslMode->addItem(tr("default (prefer)"), QString());
    for (const QString &mode : {u"disable"_s, u"require"_s, u"verify-ca"_s, u"verify-full"_s})
        m_sslMode->addItem(mode, mode);
    m_urlEdit->setToolTip(tr("The store's address, as eventscope-cli takes it; paste a URL here to fill the fields"));
    m_urlEdit->setMinimumWidth(420);
    m_create->setVisible(false);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumHeight(m_status->fontMetrics().height() * 2);

    auto *hostRow = new QHBoxLayout;
    hostRow->addWidget(m_host, 1);
    auto *portLabel = new QLabel(tr("&Port:"), this);
    portLabel->setBuddy(m_port);
    hostRow->addWidget(portLabel);
    hostRow->addWidget(m_port);

    auto *form = new QFormLayout;
    form->addRow(tr("Rece&nt:"), m_recent);
    auto *hostLabel = new QLabel(tr("&Host:"), this); // a row of two fields: the form cannot set the buddy itself
    hostLabel->setBuddy(m_host);
    form->addRow(hostLabel, hostRow);
    form->addRow(tr("&Database:"), m_database);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("Pass&word:"), m_password);
    auto *passwordNote = new QLabel(tr("Used for this connection only, never saved. Leave it empty to use "
                                       "PGPASSWORD or ~/.pgpass."),
                                    this);
    passwordNote->setWordWrap(true);
    passwordNote->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), passwordNote);

    auto *advancedForm = new QFormLayout(m_advanced);
    advancedForm->addRow(tr("&Socket directory:"), m_socketDir);
    advancedForm->addRow(tr("SS&L mode:"), m_sslMode);
    advancedForm->addRow(tr("UR&L:"), m_urlEdit);

    auto *buttonsRow = new QHBoxLayout;
    buttonsRow->addWidget(m_testButton);
    buttonsRow->addStretch(1);
    buttonsRow->addWidget(m_buttons);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_advanced);
    layout->addWidget(m_readOnly);
    layout->addWidget(m_create);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addLayout(buttonsRow);

    for (QLineEdit *e : {m_host, m_database, m_user, m_socketDir})
        connect(e, &QLineEdit::textChanged, this, &ConnectDialog::updateUrl);
    connect(m_port, &QSpinBox::valueChanged, this, &ConnectDialog::updateUrl);
    connect(m_sslMode, &QComboBox::currentIndexChanged, this, &ConnectDialog::updateUrl);
    connect(m_urlEdit, &QLineEdit::textEdited, this, [this](const QString &text) {
        if (!StoreAddress::isPostgresUrl(text))
            return;
        // The user is typing here: fill the fields from it, never rewrite it under the cursor.
        m_urlIsSource = true;
        setUrl(text);
        m_urlIsSource = false;
    });
    connect(m_recent, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            setUrl(m_recent->itemData(index).toString());
    });
    connect(m_testButton, &QPushButton::clicked, this, &ConnectDialog::testConnection);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    updateUrl();
    m_database->setFocus();
}

ConnectDialog::~ConnectDialog()
{
    disconnectDescendants(this);
    // A test still running ends on its own (connect timeout); its result then has no one to go to.
    m_password->clear();
}

void ConnectDialog::setRecentConnections(const QStringList &urls)
{
    while (m_recent->count() > 1)
        m_recent->removeItem(1);
    for (const QString &u : urls) {
        auto a = StoreAddress::parse(u);
        if (a && a->isPostgres())
            m_recent->addItem(a->displayName(), a->displayName());
    }
    m_recent->setEnabled(m_recent->count() > 1);
}

bool ConnectDialog::setUrl(const QString &text)
{
    auto a = StoreAddress::parse(text);
    if (!a || !a->isPostgres())
        return false;
    const QUrl url(text);
    const QUrlQuery query(url);
    m_updating = true;
    const QString socket = query.queryItemValue(u"host"_s, QUrl::FullyDecoded);
    m_host->setText(url.host());
    m_port->setValue(a->port());
    m_database->setText(a->database());
    m_user->setText(a->user());
    m_socketDir->setText(socket);
    const int ssl = m_sslMode->findData(query.queryItemValue(u"sslmode"_s, QUrl::FullyDecoded));
    m_sslMode->setCurrentIndex(qMax(0, ssl));
    if (!url.password().isEmpty())
        m_password->setText(url.password()); // pasted with one: use it, never show it in the URL
    m_recent->setCurrentIndex(qMax(0, m_recent->findData(a->displayName())));
    m_updating = false;
    updateUrl();
    return true;
}

void ConnectDialog::setCreateMode(bool create)
{
    m_create->setVisible(create);
    m_create->setChecked(create);
    setWindowTitle(create ? tr("New PostgreSQL Store") : tr("Open PostgreSQL Store"));
    m_readOnly->setVisible(!create);
    if (create)
        m_readOnly->setChecked(false);
}

QString ConnectDialog::url() const
{
    QUrl url;
    url.setScheme(u"postgresql"_s);
    url.setUserName(m_user->text().trimmed());
    url.setHost(m_host->text().trimmed().isEmpty() ? u"localhost"_s : m_host->text().trimmed());
    url.setPort(m_port->value());
    url.setPath(u"/"_s + m_database->text().trimmed());
    QUrlQuery query;
    if (!m_socketDir->text().trimmed().isEmpty())
        query.addQueryItem(u"host"_s, m_socketDir->text().trimmed());
    if (const QString ssl = m_sslMode->currentData().toString(); !ssl.isEmpty())
        query.addQueryItem(u"sslmode"_s, ssl);
    url.setQuery(query);
    return url.toString();
}

bool ConnectDialog::isReadOnly() const
{
    return m_readOnly->isChecked();
}

bool ConnectDialog::createStore() const
{
    return m_create->isVisible() && m_create->isChecked();
}

QString ConnectDialog::password() const
{
    return m_password->text();
}

QString ConnectDialog::testResult() const
{
    return m_testResult;
}

QString ConnectDialog::validationError() const
{
    if (m_database->text().trimmed().isEmpty())
        return tr("Name the database.");
    if (auto a = StoreAddress::parse(url()); !a)
        return a.error().message;
    return {};
}

void ConnectDialog::updateUrl()
{
    if (m_updating)
        return;
    if (!m_urlIsSource) {
        m_urlEdit->setText(url());
        m_urlEdit->setCursorPosition(0); // the scheme and host first, not the tail of the query
    }
    const QString problem = validationError();
    m_buttons->button(QDialogButtonBox::Open)->setEnabled(problem.isEmpty());
    m_testButton->setEnabled(problem.isEmpty() && !m_testing);
}

void ConnectDialog::testConnection()
{
    if (const QString problem = validationError(); !problem.isEmpty()) {
        onTestDone(m_testGeneration, false, problem);
        return;
    }
    const QString target = url();
    if (!m_password->text().isEmpty())
        if (auto a = StoreAddress::parse(target))
            StoreAddress::rememberPassword(*a, m_password->text());
    const int generation = ++m_testGeneration;
    m_testing = true;
    m_testButton->setEnabled(false);
    m_status->setStyleSheet(QString());
    m_status->setText(tr("Connecting to %1…").arg(target));
    // The test must not freeze the dialog on an unreachable host: a thread of its
    // own, with its own connection; the result comes back queued to this object.
    auto outcome = std::make_shared<TestOutcome>();
    QThread *thread = QThread::create([target, outcome] { *outcome = probe(target); });
    thread->setObjectName(u"connection test"_s);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    connect(thread, &QThread::finished, this,
            [this, generation, outcome] { onTestDone(generation, outcome->ok, outcome->message); });
    thread->start();
}

void ConnectDialog::onTestDone(int generation, bool ok, const QString &message)
{
    if (generation != m_testGeneration)
        return; // a newer test replaced it
    m_testing = false;
    m_testResult = message;
    m_status->setText(message);
    m_status->setStyleSheet(ok ? u"color: #1b7a2f"_s : u"color: #b00020"_s);
    updateUrl();
    Q_EMIT testFinished(ok, message);
}

void ConnectDialog::accept()
{
    if (const QString problem = validationError(); !problem.isEmpty()) {
        m_status->setText(problem);
        m_status->setStyleSheet(u"color: #b00020"_s);
        return;
    }
    if (!m_password->text().isEmpty())
        if (auto a = StoreAddress::parse(url()))
            StoreAddress::rememberPassword(*a, m_password->text());
    QDialog::accept();
}

} // namespace es
