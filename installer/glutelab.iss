; Inno Setup script for the GluteLab Windows installer (Inno Setup 6).
; Build the bundle first (installer\build.ps1 makes dist\glutelab\), then:
;   iscc /DAppVersion=0.1.0 installer\glutelab.iss          (build.ps1 does this when iscc is on PATH)
; Output: dist\GluteLab-<version>-setup.exe
;
; The clinic's data is never installed by this setup, so the uninstaller never removes it: the database, spool,
; logs, settings, reports and exports live in the user's data folder (%LOCALAPPDATA%\GluteLab\GluteLab) or on the
; clinic's PostgreSQL server. There is deliberately no [UninstallDelete] entry for them.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
; A fixed AppId: upgrades replace the previous version instead of installing beside it.
AppId={{6C1E3A52-2F0B-4C57-9D44-0E5B8C1F7A21}
AppName=GluteLab
AppVersion={#AppVersion}
AppPublisher=GluteLab
DefaultDirName={autopf}\GluteLab
DefaultGroupName=GluteLab
DisableProgramGroupPage=yes
; 64-bit Python and Qt inside
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\dist
OutputBaseFilename=GluteLab-{#AppVersion}-setup
SetupIconFile=..\resources\icons\glutelab.ico
UninstallDisplayIcon={app}\glutelab.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; the whole one-folder bundle; only these files are removed again at uninstall
Source: "..\dist\glutelab\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\GluteLab"; Filename: "{app}\glutelab.exe"; IconFilename: "{app}\glutelab.exe"
Name: "{group}\GluteLab self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\glutelab.exe"" selftest"; IconFilename: "{app}\glutelab.exe"
Name: "{group}\Uninstall GluteLab"; Filename: "{uninstallexe}"
Name: "{autodesktop}\GluteLab"; Filename: "{app}\glutelab.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\glutelab.exe"; Description: "{cm:LaunchProgram,GluteLab}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; only what the program may have written inside its own folder (Python byte-code caches); never the data folder
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
