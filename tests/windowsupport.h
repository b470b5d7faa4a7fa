#pragma once

#include "console/commandconsole.h"

#include "../app/gui/mainwindow.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QStatusBar>
#include <QTest>

// Drives the real main window's console as a user does: picks the command,
// types the stream and the fields, presses Send.
inline void fillConsoleCommand(MainWindow &w, const QString &command, const QString &stream,
                               const QList<QPair<QString, QString>> &fields)
{
    using namespace Qt::StringLiterals;
    es::CommandConsole *console = w.console();
    auto *commands = console->findChild<QComboBox *>(u"commandCombo"_s);
    QVERIFY(commands);
    const int index = commands->findText(command, Qt::MatchContains);
    QVERIFY2(index >= 0, qPrintable(command));
    commands->setCurrentIndex(index);
    auto *streamEdit = console->findChild<QLineEdit *>(u"streamEdit"_s);
    QVERIFY(streamEdit);
    streamEdit->clear();
    QTest::keyClicks(streamEdit, stream);
    for (const auto &[name, value] : fields) {
        QWidget *editor = console->findChild<QWidget *>(u"field:"_s + name);
        QVERIFY2(editor, qPrintable(name));
        if (auto *combo = qobject_cast<QComboBox *>(editor)) {
            combo->setCurrentIndex(combo->findText(value));
        } else if (auto *line = qobject_cast<QLineEdit *>(editor)) {
            line->clear();
            QTest::keyClicks(line, value);
        } else {
            QFAIL(qPrintable(u"no way to type into "_s + name));
        }
    }
}

inline void pressSend(MainWindow &w)
{
    using namespace Qt::StringLiterals;
    auto *button = w.console()->findChild<QAbstractButton *>(u"sendButton"_s);
    QVERIFY(button);
    QVERIFY(button->isEnabled());
    button->click();
}

inline QString consoleOutcome(MainWindow &w)
{
    using namespace Qt::StringLiterals;
    auto *outcome = w.console()->findChild<QLabel *>(u"outcomeLabel"_s);
    return outcome ? outcome->text() : QString();
}

// Every text the status bar shows: its permanent labels and its message.
inline QStringList statusBarTexts(MainWindow &w)
{
    QStringList out;
    const auto labels = w.statusBar()->findChildren<QLabel *>();
    for (QLabel *l : labels)
        if (!l->isHidden())
            out << l->text();
    out << w.statusBar()->currentMessage();
    return out;
}
