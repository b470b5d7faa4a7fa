#pragma once

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace es {

// Where to find a PostgreSQL store: host, port, database, user (or a socket
// directory, or a whole URL pasted in), read-only, and a password that is
// used for this connection only. url() never carries the password: it is what
// titles and the recent list show, and what the settings keep. The password
// goes to StoreAddress::rememberPassword (this process's memory) when the
// dialog is accepted or tested, never anywhere else.
//
// "Test Connection" connects in a thread of its own (the GUI never waits on
// a server) and says whether the database holds an Eventscope store.
class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);
    ~ConnectDialog() override;

    // Recent connection URLs (without passwords), newest first: a combo box fills the fields.
    void setRecentConnections(const QStringList &urls);
    // Fills the fields from a URL; false (fields untouched) when it is not a PostgreSQL URL.
    bool setUrl(const QString &url);
    // New Store: offer to create the schema in an empty database.
    void setCreateMode(bool create);

    // postgresql://user@host:port/database[?host=socketdir&sslmode=...], never with a password.
    QString url() const;
    bool isReadOnly() const;
    bool createStore() const;
    QString password() const;
    // The last test's result ("" before the first test).
    QString testResult() const;
    bool isTesting() const { return m_testing; }

    // Runs the connection test (asynchronously; testFinished tells).
    void testConnection();

    void accept() override;

Q_SIGNALS:
    void testFinished(bool ok, const QString &message);

private:
    void updateUrl();
    void onTestDone(int generation, bool ok, const QString &message);
    QString validationError() const;

    QComboBox *m_recent;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_database;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QGroupBox *m_advanced;
    QLineEdit *m_socketDir;
    QComboBox *m_sslMode;
    QLineEdit *m_urlEdit;
    QCheckBox *m_readOnly;
    QCheckBox *m_create;
    QLabel *m_status;
    QPushButton *m_testButton;
    QDialogButtonBox *m_buttons;
    bool m_testing = false;
    bool m_updating = false;
    bool m_urlIsSource = false; // set while the URL field drives the others
    int m_testGeneration = 0;
    QString m_testResult;
};

} // namespace es
