=== hold ===
The stowaway sits on a coil of rope, soaked through, watching you.
* [Ask her name] “Wren,” she says, as if the word costs her. -> hold
* [Ask where she’s going] “Wherever you aren’t.” -> hold
* [Ask how she got aboard] She nods at the hatch you swore you’d fixed. -> hold
* [Ask if she’s hungry] She is already eating your sandwich. -> hold
* [Go back to the wheel] -> wheelhouse

=== wheelhouse ===
The storm leans its whole weight on the glass.
-> END
