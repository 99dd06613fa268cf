namespace Specula;
