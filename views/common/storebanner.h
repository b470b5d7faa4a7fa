#pragma once

#include <QFrame>

class QLabel;

namespace es {

// A strip across the top of the window for a condition of the open store that
// the user must know before acting on it (a damaged store, a file that cannot
// be written): what is wrong, in a sentence, and what to do. Hidden when empty.
class StoreBanner : public QFrame {
    Q_OBJECT
public:
    enum class Severity { Warning, Danger };

    explicit StoreBanner(QWidget *parent = nullptr);

    void showProblem(Severity severity, const QString &headline, const QString &details);
    void clear();
    QString headline() const;
    QString details() const;

private:
    QLabel *m_headline;
    QLabel *m_details;
};

} // namespace es
