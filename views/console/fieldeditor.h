#pragma once

#include "domain.h"

#include <QJsonValue>
#include <QPalette>
#include <QWidget>

class QLabel;

namespace es {

// The editor of one declared command field, chosen by its type, with the
// field's inline error below it:
//   string → line edit (password echo when secret), number → line edit that
//   accepts only number-shaped text, integer → spin box, boolean → check box,
//   enum → combo box, datetime → date-time edit in UTC, object/array → a small
//   JSON editor.
// Optional fields can be left unset (empty text, "(not set)"); an unset field
// is left out of the payload.
class FieldEditor : public QWidget {
    Q_OBJECT
public:
    explicit FieldEditor(const FieldSpec &spec, QWidget *parent = nullptr);
    ~FieldEditor() override;

    const FieldSpec &spec() const { return m_spec; }
    QString name() const { return m_spec.name; }
    // The editor widget itself, named "field:<name>".
    QWidget *editor() const { return m_editor; }

    // The value to send; undefined when unset. *inputError is set when the
    // text cannot be read as the field's type at all (malformed JSON, "1e").
    QJsonValue value(QString *inputError = nullptr) const;
    void setValue(const QJsonValue &value);
    void clearValue();

    // Shows (or, with an empty message, clears) the field's error.
    void setError(const QString &message);
    QString error() const { return m_error; }

    // "required · at least 0.01": the constraints in words, for labels and tooltips.
    static QString constraints(const FieldSpec &spec);

Q_SIGNALS:
    void edited();

private:
    void setEditor(QWidget *editor);

    FieldSpec m_spec;
    QWidget *m_editor = nullptr;
    QLabel *m_errorLabel;
    QPalette m_normalPalette;
    QString m_error;
};

} // namespace es
